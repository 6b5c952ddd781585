import type { StampedRecord } from '../../core/record.ts'
import { type DeviceGroups, groupByDevice } from '../chain/device-groups.ts'
import { type EncodedEvent, plainEvent } from './events.ts'
import { matchDevice, matchGateway, type Subscription } from './filter.ts'

export interface StatusOptions {
  /** A device or gateway is offline after this many of its usual intervals without data (default 5). */
  offlineAfterIntervals?: number
  /** ...but never sooner than this (default 5000 ms): batching makes arrivals bursty. */
  minOfflineMs?: number
}

export interface StatusChange {
  kind: 'device' | 'gateway' | 'node'
  id: string
  /** For kind 'device', its gateway; otherwise the id itself. */
  gateway: string
  fields: { [k: string]: unknown }
}

interface Presence {
  gateway: string
  online: boolean
  /** Node clock at the last arrival: offline is judged against the node's clock, never the device's. */
  lastArrival: number
  /** Smoothed gap between readings (devices: by their own HLC time; gateways: between batch arrivals). */
  intervalMs: number
  lastTime: number
  count: number
}

const SMOOTH = 0.2

/**
 * Online/offline of devices and gateways, judged by the node clock against each one's usual interval, and the
 * node's refusal counts by error code. `observe` runs per accepted batch, `check` on a timer (or by a test with a
 * fake clock); both report changes through `onChange`.
 */
export class StatusMonitor {
  private readonly devices = new Map<string, Presence>()
  private readonly gateways = new Map<string, Presence>()
  private errorsSeen = ''
  private readonly factor: number
  private readonly floor: number

  constructor(
    private readonly now: () => number,
    private readonly onChange: (c: StatusChange) => void,
    private readonly errorCounts: () => ReadonlyMap<string, number>,
    opts: StatusOptions = {},
  ) {
    this.factor = opts.offlineAfterIntervals ?? 5
    this.floor = opts.minOfflineMs ?? 5000
  }

  /** Devices known before this monitor started: offline until they send. */
  seed(devices: Iterable<{ device: string; gateway: string }>): void {
    for (const d of devices)
      if (!this.devices.has(d.device)) this.devices.set(d.device, this.presence(d.gateway, false, 0))
  }

  private presence(gateway: string, online: boolean, at: number): Presence {
    return { gateway, online, lastArrival: at, intervalMs: 0, lastTime: 0, count: 0 }
  }

  /** One batch's records; `byDevice` groups them (one presence lookup a device, each device's records in order). */
  observe(
    gatewayHex: string,
    records: readonly StampedRecord[],
    byDevice: DeviceGroups = groupByDevice(records),
  ): void {
    const at = this.now()
    const gw = this.gateways.get(gatewayHex) ?? this.presence(gatewayHex, false, at)
    this.gateways.set(gatewayHex, gw)
    if (gw.count > 0) gw.intervalMs = smooth(gw.intervalMs, at - gw.lastArrival)
    gw.lastArrival = at
    gw.count += records.length
    if (!gw.online) this.flip('gateway', gatewayHex, gw, true)
    for (const [device, idx] of byDevice) {
      let d = this.devices.get(device)
      if (!d) {
        d = this.presence(gatewayHex, false, at)
        this.devices.set(device, d)
      }
      for (const i of idx) {
        const time = records[i]!.time
        if (d.lastTime > 0 && time > d.lastTime) d.intervalMs = smooth(d.intervalMs, time - d.lastTime)
        if (time > d.lastTime) d.lastTime = time
      }
      d.lastArrival = at
      d.count += idx.length
      d.gateway = gatewayHex
      if (!d.online) this.flip('device', device, d, true)
    }
  }

  /** Marks as offline whatever has been silent too long; reports changed error counts. */
  check(): void {
    const at = this.now()
    for (const [kind, map] of [
      ['gateway', this.gateways],
      ['device', this.devices],
    ] as const)
      for (const [id, p] of map)
        if (p.online && at - p.lastArrival > this.threshold(p)) this.flip(kind, id, p, false)
    const errors = this.errors()
    const text = JSON.stringify(errors)
    if (text !== this.errorsSeen) {
      this.errorsSeen = text
      this.onChange({ kind: 'node', id: 'node', gateway: '', fields: { errors } })
    }
  }

  private threshold(p: Presence): number {
    return Math.max(this.floor, this.factor * p.intervalMs)
  }

  private errors(): { [code: string]: number } {
    return Object.fromEntries([...this.errorCounts()].sort(([a], [b]) => a.localeCompare(b)))
  }

  private flip(kind: 'device' | 'gateway', id: string, p: Presence, online: boolean): void {
    p.online = online
    this.onChange(this.change(kind, id, p))
  }

  private change(kind: 'device' | 'gateway', id: string, p: Presence): StatusChange {
    return {
      kind,
      id,
      gateway: p.gateway,
      fields: {
        state: p.online ? 'online' : 'offline',
        ...(kind === 'device' ? { gateway: p.gateway } : {}),
        lastSeen: p.lastArrival || null,
        intervalMs: Math.round(p.intervalMs),
        offlineAfterMs: Math.round(this.threshold(p)),
        [kind === 'device' ? 'readings' : 'records']: p.count,
      },
    }
  }

  /** The current status of everything, for a subscriber that just went live. */
  snapshot(): StatusChange[] {
    const out: StatusChange[] = []
    for (const [id, p] of this.gateways) out.push(this.change('gateway', id, p))
    for (const [id, p] of this.devices) out.push(this.change('device', id, p))
    out.push({ kind: 'node', id: 'node', gateway: '', fields: { errors: this.errors() } })
    return out
  }
}

const smooth = (prev: number, gap: number): number => (prev === 0 ? gap : prev + SMOOTH * (gap - prev))

export function statusMatches(sub: Subscription, c: StatusChange): boolean {
  if (c.kind === 'device') return matchDevice(sub, c.id, c.gateway)
  if (c.kind === 'gateway') return matchGateway(sub, c.id)
  return true
}

export function statusEvent(cursor: string, c: StatusChange): EncodedEvent {
  return plainEvent('status', cursor, { kind: c.kind, id: c.id, ...c.fields })
}
