import { join } from 'node:path'
import { silentLogger } from '../../../core/logger.ts'
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
 * Compares what the devices had acknowledged with what the node serves, on the node's own data folder after it
 * stopped: every acknowledged reading stored exactly once, record times never backwards within a gateway, and the
 * whole chain verifying from genesis.
 */
export async function checkInvariants(dataDir: string, devices: LedgerDevices): Promise<InvariantReport> {
  const node = await SteleNode.open({
    dataDir: join(dataDir, 'node'),
    logger: silentLogger,
    blockIntervalMs: 3_600_000,
  })
  const problems: string[] = []
  let stored = 0
  let lost = 0
  let duplicated = 0
  let timeBackwards = 0
  try {
    const chain = await node.verify()
    const byGateway = new Map<string, { seq: number; time: number }[]>()
    for (const id of devices.ids) {
      const counts = new Map<number, number>()
      let cursor: string | undefined
      do {
        const page = await node.query.readings({ device: id, limit: 1000, order: 'asc', cursor })
        for (const r of page.items) {
          stored++
          if (r.deviceSeq !== null) counts.set(r.deviceSeq, (counts.get(r.deviceSeq) ?? 0) + 1)
          const list = byGateway.get(r.gateway) ?? []
          if (list.length === 0) byGateway.set(r.gateway, list)
          list.push({ seq: r.seq, time: r.time })
        }
        cursor = page.nextCursor ?? undefined
      } while (cursor)
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
    for (const list of byGateway.values()) {
      list.sort((a, b) => a.seq - b.seq)
      for (let i = 1; i < list.length; i++) if (list[i]!.time < list[i - 1]!.time) timeBackwards++
    }
    const { sent, acked } = devices.stats
    return {
      sent,
      acknowledged: acked,
      stored,
      lost,
      duplicated,
      timeBackwards,
      chainHeight: chain.height,
      problems,
    }
  } finally {
    await node.close()
  }
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
