import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { type Ev, wsClient } from './clients.ts'
import { type StreamFixture, streamFixture } from './fixture.ts'

let fx: StreamFixture | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

const confirmations = (events: Ev[]) => events.filter((e) => e.type === 'confirmation')

describe('stream hub across a rollback', () => {
  it('moves its cursor back to the new tip and confirms the returned batches again in the next block', async () => {
    fx = await streamFixture()
    const { ws, c } = await wsClient(fx.base, '?channels=confirmations,blocks')
    await fx.node.submitBatches([fx.gw.next(3, 'dev-1', 'temp')])
    const first = await fx.node.producer.produce()
    await c.waitFor((e) => confirmations(e).length === 1, 'the first confirmation')
    expect(fx.hub.live().height).toBe(1)

    await fx.node.producer.rollbackTip()
    expect(fx.hub.live().height).toBe(0)
    expect(fx.node.mempool.size).toBe(first!.txHashes.length)

    const again = await fx.node.producer.produce()
    expect(again?.txHashes).toEqual(first?.txHashes)
    await c.waitFor((e) => confirmations(e).length === 2, 'the batch confirmed again after the rollback')
    const [a, b] = confirmations(c.events)
    expect(b!.block).toBe(toHex(again!.header.hash))
    expect(a!.cursor.split('.')[2]).toBe('1')
    expect(b!.cursor.split('.')[2]).toBe('1')
    expect(fx.hub.live().height).toBe(again!.header.height)
    ws.close()
  })
})
