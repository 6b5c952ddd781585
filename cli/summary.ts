import type { Logger } from 'pino'
import type { Gateway } from '../gateway/gateway.ts'
import type { SteleNode } from '../node/node.ts'

/** One log line every few seconds: devices, readings, chain height, outbox depth, connector errors. */
export function startSummary(
  node: SteleNode,
  gateway: Gateway | undefined,
  logger: Logger,
  everyMs = 5000,
): { stop(): void } {
  let lastRecords = node.ingest.counters.records
  let lastAt = Date.now()
  const timer = setInterval(() => {
    const now = Date.now()
    const records = node.ingest.counters.records
    const rate = ((records - lastRecords) * 1000) / Math.max(1, now - lastAt)
    lastRecords = records
    lastAt = now
    const g = gateway?.status()
    const errors = g?.connectors.reduce((n, c) => n + c.errors, 0) ?? 0
    logger.info(
      {
        devices: node.devices.size,
        readings: records,
        perSec: Math.round(rate),
        height: node.state.tip.height,
        pending: node.mempool.size,
        ...(g ? { outbox: g.outbox?.batches ?? 0, connectorErrors: errors } : {}),
      },
      `${node.devices.size} devices, ${records} readings (${Math.round(rate)}/s), height ${node.state.tip.height}` +
        (g ? `, outbox ${g.outbox?.batches ?? 0}, connector errors ${errors}` : ''),
    )
  }, everyMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
