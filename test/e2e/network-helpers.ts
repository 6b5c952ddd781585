import { join } from 'node:path'
import { expect } from 'vitest'
import { registerTestnetGateway } from '../../cli/commands/testnet-register.ts'
import { nodeArgs, prepareTestnet, type TestnetLayout } from '../../cli/commands/testnet-setup.ts'
import { toHex } from '../../core/bytes.ts'
import { leafHash } from '../../core/merkle.ts'
import { encodeRecord, type StampedRecord } from '../../core/record.ts'
import { createHttpNodeClient } from '../../gateway/http-node-client.ts'
import { BatchMaker } from '../helpers/batches.ts'
import { freePort } from '../helpers/ports.ts'
import { type SteleProcess, spawnStele } from '../helpers/spawn-stele.ts'
import { until } from '../helpers/wait.ts'

/** A testnet laid out in `dir` on ports found free: consecutive pairs are not guaranteed, so nodes get their own. */
export async function layoutTestnet(dir: string, n: number): Promise<TestnetLayout> {
  const layout = await prepareTestnet({
    data: dir,
    nodes: n,
    basePort: 1,
    p2pBasePort: 1,
    chainId: 'e2e-net',
  })
  for (const node of layout.nodes) {
    node.httpPort = await freePort()
    node.p2pPort = await freePort()
    node.p2pAddr = node.p2pAddr.replace(/\/tcp\/\d+\//, `/tcp/${node.p2pPort}/`)
  }
  return layout
}

export function startNode(
  layout: TestnetLayout,
  i: number,
  env: NodeJS.ProcessEnv = {},
  intervalMs = 200,
): SteleProcess {
  return spawnStele(nodeArgs(layout, i, intervalMs), env)
}

/**
 * Starts node `i` with only the nodes `peers` as its peers (`--peer` is how a node finds the others; the DHT and the
 * peer store live in memory), so nodes started apart stay apart: a partition made of real processes.
 */
export function startNodeWithPeers(layout: TestnetLayout, i: number, peers: number[]): SteleProcess {
  const allowed = new Set(peers.map((j) => layout.nodes[j]!.p2pAddr))
  const args = nodeArgs(layout, i, 200)
  // Drop each `--peer <addr>` pair whose address is not among `peers`.
  const dropped = (k: number) =>
    args[k] === '--peer' ? !allowed.has(args[k + 1]!) : args[k - 1] === '--peer' && !allowed.has(args[k]!)
  const kept = args.filter((_, k) => !dropped(k))
  return spawnStele(kept)
}

/** How many reorgs a node logged (chain-sync.ts logs each one once). */
export const reorgsLogged = (p: SteleProcess): number =>
  p.lines.filter((l) => String(l['msg']).startsWith('reorg:')).length

/**
 * Starts the first `n` nodes of `layout` (`env(i)` for node i) and resolves once every one is on the network; if one
 * does not get there, all are killed before the error is thrown.
 */
export async function startNodes(
  layout: TestnetLayout,
  n: number,
  env: (i: number) => NodeJS.ProcessEnv = () => ({}),
  timeoutMs = 60_000,
): Promise<SteleProcess[]> {
  const procs: SteleProcess[] = []
  for (let i = 0; i < n; i++) procs.push(startNode(layout, i, env(i)))
  try {
    await Promise.all(
      procs.map((p) => p.waitFor((l) => l['msg'] === 'node on the network', 'p2p up', timeoutMs)),
    )
  } catch (e) {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')))
    throw e
  }
  return procs
}

/** A gateway registered on the chain, its records timed from a minute ago, whose batches the tests seal. */
export async function registeredGateway(layout: TestnetLayout): Promise<BatchMaker> {
  const maker = new BatchMaker(layout.genesis.chainId, { startTime: Date.now() - 60_000 })
  await registerGateway(layout, maker.key.publicKey)
  return maker
}

/**
 * Submits `maker`'s next batch of `n` records to node `i` once that node holds the gateway's previous batch
 * (gossip); returns the node's answer and the readings' ids.
 */
export async function submitNextBatch(
  layout: TestnetLayout,
  maker: BatchMaker,
  i: number,
  n: number,
  timeoutMs: number,
): Promise<{ status: string; ids: string[] }> {
  const client = createHttpNodeClient({ url: urlOf(layout, i) })
  await until(async () => (await client.gatewayTip(maker.key.publicKey)).nextSeq === maker.seq + 1, {
    what: `node ${i} holds batch ${maker.seq}`,
    timeoutMs,
    everyMs: 100,
  })
  const records = maker.records(n)
  const s = maker.seal(records)
  const r = await client.submitBatches([{ tx: s.tx.bytes, records: s.records }])
  return { status: r[0]!.status, ids: records.map(readingId) }
}

export const urlOf = (layout: TestnetLayout, i: number): string =>
  `http://127.0.0.1:${layout.nodes[i]!.httpPort}`

// biome-ignore lint/suspicious/noExplicitAny: the tests read loosely typed JSON
export async function getJson(url: string): Promise<{ status: number; body: any }> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) })
    return { status: r.status, body: await r.json().catch(() => undefined) }
  } catch {
    return { status: 0, body: undefined }
  }
}

export const registerGateway = (layout: TestnetLayout, gateway: Uint8Array): Promise<void> =>
  registerTestnetGateway(urlOf(layout, 0), layout, gateway)

/**
 * Every reading in `ids` is served by node `i` with a proof, and the device's readings number exactly the ones
 * submitted (none lost, none stored twice).
 */
export async function allReadingsOnce(layout: TestnetLayout, i: number, ids: string[]): Promise<void> {
  for (const id of ids) {
    expect((await getJson(`${urlOf(layout, i)}/v1/readings/${id}`)).status, id).toBe(200)
    expect((await getJson(`${urlOf(layout, i)}/v1/readings/${id}/proof`)).status, `proof ${id}`).toBe(200)
  }
  // Every page (a run may store more readings than one page holds).
  const got: { id: string }[] = []
  for (let cursor: string | null = ''; cursor !== null; ) {
    const q = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
    const page = await getJson(`${urlOf(layout, i)}/v1/devices/dev-1/readings?limit=1000${q}`)
    expect(page.status).toBe(200)
    got.push(...((page.body.items ?? []) as { id: string }[]))
    cursor = page.body.nextCursor ?? null
  }
  expect(new Set(got.map((r) => r.id)).size).toBe(got.length)
  expect(got.map((r) => r.id).sort()).toEqual([...ids].sort())
}

export const readingId = (r: StampedRecord): string => toHex(leafHash(encodeRecord(r)))

/** Waits until every listed node reports the same tip hash at a height of at least `min`, with nothing pending. */
export async function converged(layout: TestnetLayout, nodes: number[], min: number, timeoutMs = 30_000) {
  let last = ''
  return until(
    async () => {
      const tips = await Promise.all(nodes.map((i) => getJson(`${urlOf(layout, i)}/v1/chain`)))
      const health = await Promise.all(nodes.map((i) => getJson(`${urlOf(layout, i)}/v1/health`)))
      last = JSON.stringify(
        nodes.map((n, k) => ({
          n,
          height: tips[k]!.body?.height,
          tip: tips[k]!.body?.tipHash?.slice(0, 8),
          pending: health[k]!.body?.pending,
          net: health[k]!.body?.network && {
            syncing: health[k]!.body.network.syncing,
            reorgs: health[k]!.body.network.reorgs,
            peers: health[k]!.body.network.peers.map(
              (p: { connected: boolean; head?: number }) => `${p.connected}:${p.head}`,
            ),
          },
        })),
      )
      if (tips.some((t) => t.status !== 200) || health.some((h) => h.body?.pending !== 0)) return undefined
      const hashes = new Set(tips.map((t) => t.body.tipHash))
      const height = tips[0]!.body.height as number
      return hashes.size === 1 && height >= min ? { height, hash: [...hashes][0] as string } : undefined
    },
    { what: `nodes ${nodes.join(',')} on one head ≥ ${min}`, timeoutMs, everyMs: 200, detail: () => last },
  )
}

export const dataOf = (layout: TestnetLayout, i: number): string => join(layout.nodes[i]!.dataDir, 'node')
