import { SteleError } from '../../core/errors.ts'
import { idPattern, LIMITS } from '../../core/reading.ts'
import { type DeviceGroups, groupByDevice } from '../chain/device-groups.ts'

export const CHANNELS = [
  'readings',
  'confirmations',
  'blocks',
  'status',
  'transactions',
  'contracts',
] as const
export type Channel = (typeof CHANNELS)[number]

const ID_RE = new RegExp(idPattern(LIMITS.deviceIdBytes))
const GATEWAY_RE = /^[0-9a-f]{64}$/
const MAX_VALUES = 256

/** What a subscriber wants: channels, and filters (AND across fields, OR within one field; absent: any). */
export interface Subscription {
  channels: ReadonlySet<Channel>
  devices: ReadonlySet<string> | null
  sensors: ReadonlySet<string> | null
  gateways: ReadonlySet<string> | null
  /** The transactions channel's filter: accounts (hex keys) a transaction is signed by or names. */
  accounts: ReadonlySet<string> | null
  /** The contracts channel's filter: contract ids (hex deploy transaction hashes). */
  contracts: ReadonlySet<string> | null
  /** Canonical text of the above: subscribers with equal keys share one encoding of every event. */
  key: string
}

/** The shape a subscription arrives in: query parameters (comma-separated) or a WebSocket subscribe message. */
export interface SubscriptionInput {
  channels?: string | readonly string[] | undefined
  device?: string | readonly string[] | undefined
  sensor?: string | readonly string[] | undefined
  gateway?: string | readonly string[] | undefined
  account?: string | readonly string[] | undefined
  contract?: string | readonly string[] | undefined
}

function values(raw: SubscriptionInput[keyof SubscriptionInput], field: string, re: RegExp): string[] | null {
  if (raw === undefined || raw === '') return null
  const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : null
  if (!list) throw new SteleError('STELE_BAD_REQUEST', `${field} must be a string or a list of strings`)
  if (list.length > MAX_VALUES)
    throw new SteleError('STELE_BAD_REQUEST', `${field}: at most ${MAX_VALUES} values per subscription`)
  const out = list.map((v: unknown) => (typeof v === 'string' ? v.trim() : v))
  for (const v of out)
    if (typeof v !== 'string' || !re.test(v))
      throw new SteleError('STELE_BAD_REQUEST', `${field}: ${JSON.stringify(v)} is not a valid ${field}`)
  return [...new Set(out as string[])].sort()
}

export function parseSubscription(input: SubscriptionInput): Subscription {
  const channels = values(input.channels, 'channels', /^[a-z]+$/) ?? ['readings']
  for (const c of channels)
    if (!(CHANNELS as readonly string[]).includes(c))
      throw new SteleError(
        'STELE_BAD_REQUEST',
        `channels: unknown channel ${JSON.stringify(c)}; choose from ${CHANNELS.join(', ')}`,
      )
  const devices = values(input.device, 'device', ID_RE)
  const sensors = values(input.sensor, 'sensor', ID_RE)
  const gateways = values(input.gateway?.toString().toLowerCase(), 'gateway', GATEWAY_RE)
  const accounts = values(input.account?.toString().toLowerCase(), 'account', GATEWAY_RE)
  const contracts = values(input.contract?.toString().toLowerCase(), 'contract', GATEWAY_RE)
  const key = [
    channels.join(','),
    devices?.join(',') ?? '*',
    sensors?.join(',') ?? '*',
    gateways?.join(',') ?? '*',
    // Only when given, so the keys of subscriptions without it stay as they were.
    ...(accounts ? [accounts.join(',')] : []),
    ...(contracts ? [`c:${contracts.join(',')}`] : []),
  ].join('|')
  return {
    channels: new Set(channels as Channel[]),
    devices: devices && new Set(devices),
    sensors: sensors && new Set(sensors),
    gateways: gateways && new Set(gateways),
    accounts: accounts && new Set(accounts),
    contracts: contracts && new Set(contracts),
    key,
  }
}

export function matchReading(s: Subscription, device: string, sensor: string, gatewayHex: string): boolean {
  return (
    (s.devices === null || s.devices.has(device)) &&
    (s.sensors === null || s.sensors.has(sensor)) &&
    (s.gateways === null || s.gateways.has(gatewayHex))
  )
}

/** Devices and sensors of one accepted batch: enough to tell which subscribers its confirmation concerns. */
export interface BatchSummary {
  txHash: string
  seq: number
  count: number
  gateway: string
  /** Each device of the batch with the sensors it sent. */
  sensors: ReadonlyMap<string, ReadonlySet<string>>
}

export function matchBatch(s: Subscription, b: BatchSummary): boolean {
  if (s.gateways !== null && !s.gateways.has(b.gateway)) return false
  if (s.devices === null && s.sensors === null) return true
  for (const [device, sensors] of b.sensors) {
    if (s.devices !== null && !s.devices.has(device)) continue
    if (s.sensors === null) return true
    for (const sensor of sensors) if (s.sensors.has(sensor)) return true
  }
  return false
}

/** Device status concerns a subscriber filtering on that device (or none) and its gateway (or none). */
export function matchDevice(s: Subscription, device: string, gatewayHex: string): boolean {
  return (s.devices === null || s.devices.has(device)) && (s.gateways === null || s.gateways.has(gatewayHex))
}

export function matchGateway(s: Subscription, gatewayHex: string): boolean {
  return s.gateways === null || s.gateways.has(gatewayHex)
}

export function summarize(
  txHash: string,
  seq: number,
  gateway: string,
  records: readonly { device: string; sensor: string }[],
  byDevice: DeviceGroups = groupByDevice(records),
): BatchSummary {
  // Per record only a set add of the decoder's interned sensor string (no key built per record).
  const sensors = new Map<string, Set<string>>()
  for (const [device, idx] of byDevice) {
    const set = new Set<string>()
    for (const i of idx) set.add(records[i]!.sensor)
    sensors.set(device, set)
  }
  return { txHash, seq, count: records.length, gateway, sensors }
}

/** A ledger transaction concerns a subscriber filtering on none of its accounts, or on one of them. */
export function matchAccounts(s: Subscription, accounts: readonly string[]): boolean {
  return s.accounts === null || accounts.some((a) => s.accounts!.has(a))
}

/** A contract's events, results and mismatches concern a subscriber filtering on no contract, or on that one. */
export function matchContract(s: Subscription, contract: string): boolean {
  return s.contracts === null || s.contracts.has(contract)
}
