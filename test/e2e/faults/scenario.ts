import { until } from '../../helpers/wait.ts'
import { type BrokerKind, Cluster } from './cluster.ts'
import { checkInvariants, type InvariantReport, waitForIngest } from './invariants.ts'
import { LedgerDevices } from './ledger-devices.ts'

export interface ScenarioResult extends InvariantReport {
  fault: string
  times: number
}

export interface ScenarioOptions {
  devices: number
  perDevice: number
  rateHz: number
  gatewayArgs?: string[]
  broker?: BrokerKind
}

/** Total readings the node serves now (all devices). */
export async function storedCount(c: Cluster): Promise<number> {
  const { items } = await c.api<{ items: { readings: number }[] }>('/v1/devices').catch(() => ({ items: [] }))
  return items.reduce((n, d) => n + d.readings, 0)
}

/** Waits until the node has taken in `more` readings beyond now: faults are injected mid-ingest, not before it. */
export async function progress(c: Cluster, more: number, ms = 30_000): Promise<void> {
  const start = await storedCount(c)
  await until(async () => (await storedCount(c)) >= start + more, {
    what: `ingest to progress by ${more} readings`,
    timeoutMs: ms,
    everyMs: 100,
  })
}

/**
 * Runs devices against a fresh cluster, lets `inject` break things while they publish, then waits for every
 * acknowledged reading to arrive and checks the invariants on the stopped node's data.
 */
export async function runScenario(
  dir: string,
  fault: string,
  opts: ScenarioOptions,
  inject: (c: Cluster, d: LedgerDevices) => Promise<number>,
): Promise<ScenarioResult> {
  const cluster = await Cluster.start(dir, {
    ...(opts.gatewayArgs ? { gatewayArgs: opts.gatewayArgs } : {}),
    ...(opts.broker ? { broker: opts.broker } : {}),
  })
  const devices = new LedgerDevices(cluster.brokerUrl, opts.devices, opts.perDevice, opts.rateHz)
  try {
    devices.start()
    const times = await inject(cluster, devices)
    await devices.done()
    await waitForIngest((p) => cluster.api(p), devices, 60_000)
    await cluster.stop()
    return { fault, times, ...(await checkInvariants(dir, devices)) }
  } finally {
    await devices.stop()
    await cluster.stop()
  }
}

export function formatResults(rows: ScenarioResult[]): string {
  const head = [
    'fault',
    'times',
    'sent',
    'acknowledged',
    'stored',
    'lost',
    'duplicated',
    'time backwards',
    'chain height',
  ]
  const lines = rows.map((r) =>
    [
      r.fault,
      r.times,
      r.sent,
      r.acknowledged,
      r.stored,
      r.lost,
      r.duplicated,
      r.timeBackwards,
      r.chainHeight,
    ].map(String),
  )
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [row(head), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n')
}
