import type { Logger } from 'pino'
import type { GatewayStatusSource } from './gateway-status.ts'

/** The node's counters the summary prints (read across threads when the node runs in its own). */
export interface NodeProgress {
  /** Records accepted since the node opened. */
  records: number
  devices: number
  height: number
  /** Transactions waiting for a block. */
  pending: number
}

/** One log line every few seconds: devices, readings, chain height, outbox depth, connector errors. */
export function startSummary(
  node: { progress(): NodeProgress | Promise<NodeProgress> },
  gateway: GatewayStatusSource | undefined,
  logger: Logger,
  everyMs = 5000,
): { stop(): void } {
  let last: { records: number; at: number } | undefined
  let busy = false
  const tick = async () => {
    const p = await node.progress()
    const now = Date.now()
    const before = last
    last = { records: p.records, at: now }
    if (!before) return // the baseline of the first rate
    const rate = ((p.records - before.records) * 1000) / Math.max(1, now - before.at)
    const g = gateway ? await gateway.status() : undefined
    const errors = g?.connectors.reduce((n, c) => n + c.errors, 0) ?? 0
    logger.info(
      {
        devices: p.devices,
        readings: p.records,
        perSec: Math.round(rate),
        height: p.height,
        pending: p.pending,
        ...(g ? { outbox: g.outbox?.batches ?? 0, connectorErrors: errors } : {}),
      },
      `${p.devices} devices, ${p.records} readings (${Math.round(rate)}/s), height ${p.height}` +
        (g ? `, outbox ${g.outbox?.batches ?? 0}, connector errors ${errors}` : ''),
    )
  }
  void tick().catch(() => undefined)
  const timer = setInterval(() => {
    if (busy) return
    busy = true
    tick()
      .catch((err) => logger.debug({ err }, 'summary skipped'))
      .finally(() => {
        busy = false
      })
  }, everyMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
