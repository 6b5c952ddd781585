import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import type { ProducedBlock } from '../../node/chain/producer.ts'
import { ManualTimers } from '../gateway/helpers/manual-timers.ts'
import { nodeFixture } from '../helpers/node.ts'

// The node's timers are injected: block production and the stream's heartbeats run only when the test says so.

let fx: Awaited<ReturnType<typeof nodeFixture>> | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

describe('injected timers', () => {
  it('the block producer seals on its interval of the injected timers, and stop() clears it', async () => {
    const timers = new ManualTimers()
    timers.advance(1_700_000_000_000)
    fx = await nodeFixture({ timers, blockIntervalMs: 500, stream: { heartbeatMs: 0, statusCheckMs: 0 } })
    await fx.node.submitBatches([fx.gw.next(3)])
    expect(fx.node.state.tip.height).toBe(0)
    const sealed = once(fx.node.producer, 'block') as Promise<[ProducedBlock]>
    timers.advance(499)
    expect(fx.node.state.tip.height).toBe(0)
    timers.advance(1)
    const [block] = await sealed
    expect(block.header.height).toBe(1)
    // The block time comes from the same clock.
    expect(block.header.time).toBe(1_700_000_000_500)
    await fx.node.stop()
    expect(timers.pending).toBe(0)
  })

  it('the stream hub sends heartbeats and checks presence on the injected timers', async () => {
    const timers = new ManualTimers()
    fx = await nodeFixture({ timers, stream: { heartbeatMs: 15_000, statusCheckMs: 1000 } })
    // The producer's interval, the heartbeat and the presence check.
    expect(timers.pending).toBe(3)
    expect(timers.requested).toEqual(expect.arrayContaining([60_000, 15_000, 1000]))
    timers.advance(1000)
    expect(timers.pending).toBe(3) // the presence check re-armed
    await fx.node.stop()
    expect(timers.pending).toBe(0)
  })
})
