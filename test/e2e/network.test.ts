import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestnetLayout } from '../../cli/commands/testnet-setup.ts'
import { createFailoverNodeClient } from '../../gateway/failover-node-client.ts'
import { createHttpNodeClient } from '../../gateway/http-node-client.ts'
import type { BatchMaker } from '../helpers/batches.ts'
import type { SteleProcess } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'
import {
  converged,
  getJson,
  layoutTestnet,
  readingId,
  registeredGateway,
  startNode,
  startNodes,
  submitNextBatch,
  urlOf,
} from './network-helpers.ts'

/** Three real `stele node` processes on loopback: gossip, sync, failover, kill -9 and restart. */
describe('a network of three nodes', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let layout: TestnetLayout
  const procs: (SteleProcess | undefined)[] = []
  let maker: BatchMaker
  const ids: string[] = []

  beforeAll(async () => {
    dir = await tempDir('stele-net-')
    layout = await layoutTestnet(dir.path, 3)
    procs.push(...(await startNodes(layout, 3)))
    maker = await registeredGateway(layout)
  }, 90_000)

  afterAll(async () => {
    await Promise.all(procs.map((p) => p?.kill('SIGKILL')))
    await dir?.cleanup()
  })

  const client = (i: number) => createHttpNodeClient({ url: urlOf(layout, i) })

  /** Submits the next batch to node `i` once that node holds the gateway's previous batch (gossip). */
  async function submitAt(i: number, n = 5): Promise<void> {
    const r = await submitNextBatch(layout, maker, i, n, 15_000)
    expect(r.status).toBe('accepted')
    ids.push(...r.ids)
  }

  it('converges on one head; a reading accepted at any node is served with a proof by every node', async () => {
    for (let k = 0; k < 6; k++) await submitAt(k % 3)
    await converged(layout, [0, 1, 2], 2)
    for (let i = 0; i < 3; i++)
      for (const id of [ids[0]!, ids[ids.length - 1]!]) {
        const r = await getJson(`${urlOf(layout, i)}/v1/readings/${id}/proof`)
        expect(r.status, `node ${i} proof of ${id}`).toBe(200)
      }
    const health = await getJson(`${urlOf(layout, 0)}/v1/health`)
    expect(health.body.network.peers.filter((p: { connected: boolean }) => p.connected)).toHaveLength(2)
    const nodes = await getJson(`${urlOf(layout, 1)}/v1/nodes`)
    expect(nodes.body.nodes.map((n: { roles: string[] }) => n.roles)).toEqual([
      ['producer'],
      ['producer'],
      ['producer'],
    ])
  }, 40_000)

  it('a resubmission to another node is answered duplicate (exactly once across nodes)', async () => {
    const records = maker.records(3)
    const s = maker.seal(records)
    const batch = { tx: s.tx.bytes, records: s.records }
    await until(async () => (await client(1).gatewayTip(maker.key.publicKey)).nextSeq === maker.seq, {
      what: 'node 1 ready',
      timeoutMs: 15_000,
      everyMs: 100,
    })
    expect((await client(1).submitBatches([batch]))[0]!.status).toBe('accepted')
    const failover = createFailoverNodeClient([client(2), client(0)])
    await until(async () => (await client(2).gatewayTip(maker.key.publicKey)).nextSeq === maker.seq + 1, {
      what: 'gossip reached node 2',
      timeoutMs: 15_000,
      everyMs: 100,
    })
    expect((await failover.submitBatches([batch]))[0]!.status).toBe('duplicate')
    ids.push(...records.map(readingId))
  }, 30_000)

  it('kill -9 of a producer: the others keep producing; restarted, it syncs and rejoins', async () => {
    const before = await converged(layout, [0, 1, 2], 1)
    await procs[0]!.kill('SIGKILL')
    procs[0] = undefined
    // Two waves, each waited for: how many blocks seal a quick burst depends on the turns, but each wave needs one,
    // so the two survivors produce across more than one turn, the dead producer's included.
    let after = before
    for (const wave of [0, 1]) {
      await submitAt(1 + wave)
      await submitAt(2 - wave)
      after = await converged(layout, [1, 2], after.height + 1)
    }
    expect(after.height).toBeGreaterThanOrEqual(before.height + 2)
    procs[0] = startNode(layout, 0)
    const head = await converged(layout, [0, 1, 2], after.height)
    expect(head.height).toBeGreaterThanOrEqual(after.height)
    const last = ids[ids.length - 1]!
    expect((await getJson(`${urlOf(layout, 0)}/v1/readings/${last}/proof`)).status).toBe(200)
  }, 90_000)
})
