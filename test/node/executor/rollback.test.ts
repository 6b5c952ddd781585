import { afterEach, describe, expect, it } from 'vitest'
import { COUNTER, contractNode } from './chain-fixture.ts'

type Fx = Awaited<ReturnType<typeof contractNode>>
let fx: Fx | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

async function keys(fx: Fx, prefix: string): Promise<string[]> {
  const out: string[] = []
  for await (const k of fx.node.db.keys({ gte: prefix, lt: `${prefix}\uffff` })) out.push(k)
  return out
}

const cursor = async (fx: Fx) => new TextDecoder().decode(await fx.node.db.get('xh:'))

describe('contract executor across a rollback', () => {
  it('drops the index entries of rolled-back blocks and indexes their replacement again', async () => {
    fx = await contractNode()
    const id = await fx.deploy({ codeCid: await fx.store(COUNTER) })
    await fx.block() // 1: gateway registration and deploy
    await fx.node.submitBatches([fx.gw.next(3)])
    await fx.block() // 2: readings; the executor submits its result
    await fx.block() // 3: the result sealed
    expect(await keys(fx, `xr:${id}:`)).toHaveLength(1)
    expect(await cursor(fx)).toBe('3')

    await fx.node.producer.rollbackTip()
    await fx.node.contracts!.idle()
    expect(await keys(fx, `xr:${id}:`)).toHaveLength(0)
    expect(await cursor(fx)).toBe('2')

    await fx.block() // 3 again: the result, pending once more, is sealed and indexed again
    const items = (await fx.node.contracts!.results(id, 10)).items
    expect(items).toHaveLength(1)
    expect(await keys(fx, `xr:${id}:`)).toHaveLength(1)

    for (let i = 0; i < 3; i++) await fx.node.producer.rollbackTip()
    await fx.node.contracts!.idle()
    expect(fx.node.contracts!.list()).toEqual([])
    expect(await keys(fx, 'xc:')).toEqual([])
    expect(await keys(fx, `xr:${id}:`)).toHaveLength(0)
    expect(await cursor(fx)).toBe('0')
  }, 30_000)
})
