import { join } from 'node:path'
import { silentLogger } from '../../../core/logger.ts'
import type { ReadingView } from '../../../node/chain/reading-view.ts'
import { SteleNode } from '../../../node/node.ts'
import { until } from '../../helpers/wait.ts'
import type { LedgerDevices } from './ledger-devices.ts'

export interface InvariantReport {
  sent: number
  acknowledged: number
  stored: number
  lost: number
  duplicated: number
  timeBackwards: number
  chainHeight: number
  problems: string[]
}

/**
 * Opens the node's own data folder after it stopped, verifies the whole chain from genesis and hands the node and
 * the chain's height to `check`; closes the node after.
 */
export async function withStoppedNode<T>(
  dataDir: string,
  check: (node: SteleNode, chainHeight: number) => Promise<T>,
): Promise<T> {
  const node = await SteleNode.open({
    dataDir: join(dataDir, 'node'),
    logger: silentLogger,
    blockIntervalMs: 3_600_000,
  })
  try {
    const chain = await node.verify()
    return await check(node, chain.height)
  } finally {
    await node.close()
  }
}

/** Every reading the node serves for `device`, oldest first. */
export async function* deviceReadings(node: SteleNode, device: string): AsyncGenerator<ReadingView> {
  let cursor: string | undefined
  do {
    const page = await node.query.readings({ device, limit: 1000, order: 'asc', cursor })
    yield* page.items
    cursor = page.nextCursor ?? undefined
  } while (cursor)
}

/** How many records of one gateway, in seq order, have a time before the record's before them. */
export function timesBackwards(records: { seq: number; time: number }[]): number {
  const list = [...records].sort((a, b) => a.seq - b.seq)
  let n = 0
  for (let i = 1; i < list.length; i++) if (list[i]!.time < list[i - 1]!.time) n++
  return n
}

/**
 * Compares what the devices had acknowledged with what the node serves, on the node's own data folder after it
 * stopped: every acknowledged reading stored exactly once, record times never backwards within a gateway, and the
 * whole chain verifying from genesis.
 */
export function checkInvariants(dataDir: string, devices: LedgerDevices): Promise<InvariantReport> {
  return withStoppedNode(dataDir, async (node, chainHeight) => {
    const problems: string[] = []
    let stored = 0
    let lost = 0
    let duplicated = 0
    const byGateway = new Map<string, { seq: number; time: number }[]>()
    for (const id of devices.ids) {
      const counts = new Map<number, number>()
      for await (const r of deviceReadings(node, id)) {
        stored++
        if (r.deviceSeq !== null) counts.set(r.deviceSeq, (counts.get(r.deviceSeq) ?? 0) + 1)
        const list = byGateway.get(r.gateway) ?? []
        if (list.length === 0) byGateway.set(r.gateway, list)
        list.push({ seq: r.seq, time: r.time })
      }
      for (const seq of devices.acked.get(id)!) {
        const n = counts.get(seq) ?? 0
        if (n === 0) {
          lost++
          if (problems.length < 20) problems.push(`${id} seq ${seq} acknowledged but not stored`)
        }
      }
      for (const [seq, n] of counts)
        if (n > 1) {
          duplicated += n - 1
          if (problems.length < 20) problems.push(`${id} seq ${seq} stored ${n} times`)
        }
    }
    let timeBackwards = 0
    for (const list of byGateway.values()) timeBackwards += timesBackwards(list)
    const { sent, acked } = devices.stats
    return { sent, acknowledged: acked, stored, lost, duplicated, timeBackwards, chainHeight, problems }
  })
}

/** Resolves once the node serves at least as many readings per device as were acknowledged. */
export async function waitForIngest(
  api: <T>(p: string) => Promise<T>,
  devices: LedgerDevices,
  ms: number,
): Promise<void> {
  let short: string[] = devices.ids
  await until(
    async () => {
      const { items } = await api<{ items: { device: string; readings: number }[] }>('/v1/devices').catch(
        () => ({ items: [] }),
      )
      const have = new Map(items.map((d) => [d.device, d.readings]))
      short = devices.ids.filter((id) => (have.get(id) ?? 0) < devices.acked.get(id)!.size)
      return short.length === 0
    },
    {
      what: 'every acknowledged reading',
      timeoutMs: ms,
      everyMs: 200,
      detail: () => `missing for ${short.join(', ')}`,
    },
  )
}
