import { afterEach, describe, expect, it } from 'vitest'
import { fromHex } from '../../../core/bytes.ts'
import { contractStateKey, decodeContractEntry } from '../../../core/contract-payloads.ts'
import { sha256 } from '../../../core/hash.ts'
import { deriveSeed } from '../../../node/executor/seed.ts'
import { COUNTER, contractNode } from './chain-fixture.ts'

type Fx = Awaited<ReturnType<typeof contractNode>>
let fx: Fx | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

describe('contracts on chain', () => {
  it('runs a deployed contract on the next block, puts its result in a following block and its state in the map', async () => {
    fx = await contractNode()
    const { node } = fx
    const cid = await fx.store(COUNTER)
    const id = await fx.deploy({ codeCid: cid })
    await fx.block()
    await node.submitBatches([fx.gw.next(3)])
    await fx.block() // readings sealed: the executor runs and submits a result
    await fx.block() // the result sealed
    const { items } = await node.contracts!.results(id, 10)
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ status: 'ok', height: 2 })
    expect(items[0]!.events.map((e) => e.name)).toEqual(['hot', 'hot'])
    const leaf = await node.ledger!.map.get(contractStateKey(fromHex(id)))
    const entry = decodeContractEntry(leaf!)
    expect(JSON.parse(entry.state).n).toBe(3)
    expect(entry.results).toBe(1)
    expect(node.contracts!.mismatches).toBe(0)
    // A call: its own run, its own result.
    await fx.call(id, 'bump', '{"by":10}')
    await fx.block()
    await fx.block()
    const after = decodeContractEntry((await node.ledger!.map.get(contractStateKey(fromHex(id))))!)
    expect(JSON.parse(after.state).n).toBe(13)
    expect(after.calls).toHaveLength(0)
    // The chain replays to the same state root.
    await node.verify()
  }, 30_000)

  it('refuses a deploy whose code the node does not hold, and code that does not load', async () => {
    fx = await contractNode()
    await expect(
      fx.deploy({ codeCid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' }),
    ).rejects.toThrow()
    const cid = await fx.store('export function onReading( {')
    await expect(fx.deploy({ codeCid: cid })).rejects.toMatchObject({ code: 'STELE_CONTRACT_INVALID' })
  })

  it('catches an executor whose seed is wrong: the result is refused and the evidence kept', async () => {
    // The fault: this node's executor runs with another seed; its own admission re-executes with the right one.
    fx = await contractNode({ executeSeed: (h, id) => deriveSeed(sha256(h), id) })
    const { node } = fx
    const seen: unknown[] = []
    node.contracts!.on('mismatch', (e) => seen.push(e))
    const id = await fx.deploy({ codeCid: await fx.store(COUNTER) })
    await fx.block()
    await node.submitBatches([fx.gw.next(2)])
    await fx.block()
    await fx.block()
    expect(node.contracts!.mismatches).toBe(1)
    expect(seen).toHaveLength(1)
    const [ev] = await node.contracts!.evidence(id)
    expect(ev).toMatchObject({ contract: id, height: 2 })
    expect(ev!.claimed.stateRootAfter).not.toBe(ev!.recomputed.stateRootAfter)
    expect(ev!.claimed.inputsHash).not.toBe(ev!.recomputed.inputsHash)
    expect((await node.contracts!.results(id, 10)).items).toHaveLength(0)
  }, 30_000)
})
