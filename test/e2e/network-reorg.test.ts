/**
 * A reorg over real `stele node` processes (issue 16): three producers, partitioned by their `--peer` lists into a
 * majority of two and a node alone, seal different batches at the same height; joined again, the lighter side
 * reorganises onto the heavier chain and its orphaned batch returns to the mempool and is sealed again.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { toHex } from '../../core/bytes.ts'
import { chooseTip } from '../../node/consensus/fork-choice.ts'
import { blockWeight } from '../../node/consensus/snapshot.ts'
import type { SteleProcess } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'
import {
  allReadingsOnce,
  converged,
  getJson,
  layoutTestnet,
  registeredGateway,
  reorgsLogged,
  startNodes,
  startNodeWithPeers,
  submitNextBatch,
  urlOf,
} from './network-helpers.ts'

const onNetwork = (p: SteleProcess) => p.waitFor((l) => l['msg'] === 'node on the network', 'p2p up', 60_000)

describe('network reorg', () => {
  let procs: SteleProcess[] = []
  let cleanup: (() => Promise<void>) | undefined
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')))
    await cleanup?.()
  })

  it('two sides seal apart at one height; joined, the lighter one reorganises once and re-seals its batch', async () => {
    const dir = await tempDir('stele-reorg-')
    cleanup = dir.cleanup
    const layout = await layoutTestnet(dir.path, 3)
    procs = await startNodes(layout, 3)
    // One gateway per side: a batch sealed on the losing side stays valid on the winning one.
    const lone = await registeredGateway(layout)
    const many = await registeredGateway(layout)
    const base = await converged(layout, [0, 1, 2], 1)
    // The node alone must be allowed to sign base+1: not the signer of `base` (recents window of 3 producers: 1).
    const baseSigner = (await getJson(`${urlOf(layout, 0)}/v1/blocks/${base.height}`)).body.producer
    const m = layout.nodes.findIndex((n) => toHex(n.key.publicKey) !== baseSigner)
    const major = [0, 1, 2].filter((i) => i !== m)

    // Partition: every node restarted, the majority knowing only each other, `m` knowing nobody.
    await Promise.all(procs.map((p) => p.kill()))
    procs = [0, 1, 2].map((i) => startNodeWithPeers(layout, i, i === m ? [] : major.filter((j) => j !== i)))
    await Promise.all(procs.map(onNetwork))

    const ids: string[] = []
    const submit = async (maker: typeof lone, i: number, nodes: number[], height: number) => {
      const r = await submitNextBatch(layout, maker, i, 3, 20_000)
      expect(r.status).toBe('accepted')
      ids.push(...r.ids)
      await converged(layout, nodes, height)
    }
    await submit(lone, m, [m], base.height + 1)
    // Three blocks on the majority side (its two producers alternate): heavier than any one block can weigh (2).
    for (let k = 1; k <= 3; k++) await submit(many, major[k % 2]!, major, base.height + k)

    // Predict the winner with Clique's fork choice over the two branches above the common block `base`.
    const producers = layout.nodes.map((n) => toHex(n.key.publicKey)).sort()
    const branch = async (i: number) => {
      let totalWeight = 0
      let hash = ''
      for (let h = base.height + 1; ; h++) {
        const b = await getJson(`${urlOf(layout, i)}/v1/blocks/${h}`)
        if (b.status !== 200) break
        totalWeight += blockWeight({ producers }, h, b.body.producer)
        hash = b.body.hash
      }
      return { node: i, totalWeight, hash: Buffer.from(hash, 'hex'), tipHash: hash }
    }
    const sides = [await branch(m), await branch(major[0]!)]
    const winner = chooseTip(sides)!
    expect(winner.node).toBe(major[0])
    expect(sides[0]!.tipHash).not.toBe(sides[1]!.tipHash)

    // Join: `m` restarted with the others as its peers, as a node coming back to the network is.
    await procs[m]!.kill()
    procs[m] = startNodeWithPeers(layout, m, major)
    await onNetwork(procs[m]!)
    // The orphaned batch is pending again at `m` and sealed on the winning chain: one more block.
    const head = await converged(layout, [0, 1, 2], base.height + 4, 40_000)
    const atWinner = (await getJson(`${urlOf(layout, major[0]!)}/v1/blocks/${base.height + 3}`)).body
    expect(atWinner.hash).toBe(winner.tipHash)
    expect((await getJson(`${urlOf(layout, m)}/v1/blocks/${base.height + 3}`)).body.hash).toBe(winner.tipHash)
    expect(head.height).toBe(base.height + 4)

    for (const i of [0, 1, 2]) {
      const reorgs = (await getJson(`${urlOf(layout, i)}/v1/health`)).body.network.reorgs
      expect(reorgs, `node ${i}`).toBe(i === m ? 1 : 0)
      expect(reorgsLogged(procs[i]!), `node ${i} log`).toBe(reorgs)
    }
    for (const i of [0, 1, 2]) await allReadingsOnce(layout, i, ids)
  }, 120_000)
})
