// The table rows of bench/ingest-e2e.bench.ts: Stele beside the raw broker or Node-RED of the same run.
import type { Row } from '../table.ts'
import type { E2eConfig, Phase } from './e2e-measure.ts'

export const rate = (p: Phase): number => (p.readings / p.ms) * 1000
const capped = (cfg: E2eConfig, p: Phase) => (p.complete ? '' : ` (capped at ${cfg.capMs / 1000} s)`)
export const ms = (n: number | undefined): string => (n === undefined ? 'n/a' : n.toFixed(1))

/** PUBACK latency and messages in flight at the publisher, Stele's beside the raw broker's on the same load. */
export function pubackRow(what: string, stele: Phase, raw: Phase): Row {
  const s = stele.fleet
  const r = raw.fleet
  return {
    benchmark: `PUBACK wait p99, ${what} (p50 ${ms(s?.pubackP50Ms)} vs ${ms(r?.pubackP50Ms)}; in flight mean ${s ? Math.round(s.inflightMean) : 'n/a'}, max ${s?.inflightMax ?? 'n/a'} vs ${r ? Math.round(r.inflightMean) : 'n/a'}, ${r?.inflightMax ?? 'n/a'})`,
    unit: 'ms',
    stele: s?.pubackP99Ms ?? null,
    ceiling: r?.pubackP99Ms ?? null,
    peer: '(raw broker, same load)',
    target: 'info',
  }
}

/** Readings/s until confirmed against the raw broker's; `readings` is the phase's total. */
export function e2eRow(
  cfg: E2eConfig,
  perMessage: number,
  readings: number,
  what: string,
  stele: Phase,
  raw: Phase,
  broker: string,
): Row {
  const split = stele.cpuSplit
  // The fleet's own CPU comes off the same two cores: printed beside, for the contestant and the raw broker.
  const fleet = (p: Phase) => (p.fleet ? (p.fleet.cpuUs / Math.max(1, p.readings)).toFixed(1) : 'n/a')
  const fleets = `fleet ${fleet(stele)} (raw: ${fleet(raw)})`
  const cpu = stele.cpu
    ? ` (CPU us/reading: main thread ${stele.cpu.main.toFixed(1)}, other threads ${stele.cpu.other.toFixed(1)}, ${fleets})`
    : split
      ? ` (CPU us/reading: gateway ${split.gateway.toFixed(1)}, node ${split.node.toFixed(1)}, ${fleets})`
      : ''
  return {
    benchmark: `e2e ${perMessage}/msg, ${readings.toLocaleString('en-US')} readings, ${what}, until confirmed${capped(cfg, stele)}${cpu}`,
    unit: 'readings/s',
    stele: rate(stele),
    ceiling: rate(raw),
    peer: `(raw ${broker}${capped(cfg, raw)})`,
    target: perMessage === 1 ? '>= 0.7 of raw broker' : '>= 100,000 readings/s',
    met: perMessage === 1 ? rate(stele) >= 0.7 * rate(raw) : rate(stele) >= 100_000,
  }
}

/** Stele against Node-RED on the same broker and load. */
export function nodeRedRow(
  cfg: E2eConfig,
  perMessage: number,
  stele: Phase,
  red: Phase | undefined,
  na: string | undefined,
): Row {
  return {
    benchmark: `e2e ${perMessage}/msg, node + gateway vs Node-RED MQTT->JSON->file, Mosquitto`,
    unit: 'readings/s',
    stele: rate(stele),
    ceiling: red ? rate(red) : null,
    peer: red ? `(Node-RED 4.1${capped(cfg, red)})` : '(Node-RED 4.1)',
    target: perMessage === 1 ? 'ahead of Node-RED' : '>= 0.5 of Node-RED (ahead: the goal)',
    ...(red
      ? { met: perMessage === 1 ? rate(stele) > rate(red) : rate(stele) >= 0.5 * rate(red) }
      : { na: na ?? 'not run' }),
  }
}

/** PUBACK latency of a run paced at half the deployment's measured maximum. */
export function pacedRow(what: string, perSec: number, p: Phase): Row {
  return {
    benchmark: `PUBACK wait p99 at half the max rate (${Math.round(perSec / 2).toLocaleString('en-US')} msg/s), ${what} (p50 ${ms(p.fleet?.pubackP50Ms)}; in flight mean ${p.fleet ? p.fleet.inflightMean.toFixed(1) : 'n/a'}${p.warmUp ? `; after a warm-up of ${p.warmUp.acked.toLocaleString('en-US')} messages from cold start, whose p99 was ${ms(p.warmUp.pubackP99Ms)}` : ''})`,
    unit: 'ms',
    stele: p.fleet?.pubackP99Ms ?? null,
    ceiling: null,
    peer: '(none)',
    target: '< 100 ms',
    ...(p.fleet ? { met: p.fleet.pubackP99Ms < 100 } : { na: 'capped' }),
  }
}
