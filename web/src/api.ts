import type { BlockView, ReadingView } from '../../core/api-views.ts'
import { currentNode, nodeFailed } from './nodes.ts'

export type { BlockView, ReadingView as Reading }

/** A refused or failed API call: the node's error code and message (DESIGN §5), or a network failure. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The error's `details` when the node sends some (`retryAfterMs` of STELE_RATE_LIMITED, …). */
    readonly details: { [k: string]: unknown } = {},
  ) {
    super(message)
  }

  /** The route itself is not on this node (an older node, or a layer not built yet), as opposed to a missing item. */
  get missingRoute(): boolean {
    return this.status === 404 && /^no route /.test(this.message)
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return requestJson<T>(path, { signal: signal ?? null, headers: { accept: 'application/json' } })
}

/** POST with a JSON body (or a Blob, sent as application/octet-stream and streamed by the browser from disk). */
export async function postJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const blob = body instanceof Blob
  return requestJson<T>(path, {
    method: 'POST',
    signal: signal ?? null,
    headers: {
      accept: 'application/json',
      'content-type': blob ? 'application/octet-stream' : 'application/json',
    },
    body: blob ? body : JSON.stringify(body),
  })
}

/** A GET that takes longer than this counts as a failed node (uploads and other POSTs have no such limit). */
const GET_TIMEOUT_MS = 15_000

/**
 * One API call on the node in use (nodes.ts). A node that fails (unreachable, 5xx, a GET past GET_TIMEOUT_MS) is
 * left for the next listed one; a GET is retried there, each node once. A POST is not resent: it may have been
 * applied (a faucet grant), so the caller sees the failure and the next call goes to the next node.
 */
async function requestJson<T>(path: string, init: RequestInit): Promise<T> {
  const get = (init.method ?? 'GET') === 'GET'
  const tried = new Set<string>()
  for (;;) {
    const node = currentNode()
    tried.add(node)
    try {
      return await requestOnce<T>(node + path, get ? withTimeout(init) : init)
    } catch (e) {
      if (!(e instanceof ApiError) || (e.status !== 0 && e.status < 500)) throw e
      nodeFailed(node)
      if (!get || tried.has(currentNode())) throw e
    }
  }
}

function withTimeout(init: RequestInit): RequestInit {
  const t = AbortSignal.timeout(GET_TIMEOUT_MS)
  return { ...init, signal: init.signal ? AbortSignal.any([init.signal, t]) : t }
}

async function requestOnce<T>(url: string, init: RequestInit): Promise<T> {
  let res: Response
  try {
    res = await fetch(url, init)
  } catch (e) {
    // The caller's abort passes through; a timeout or a refused connection is the node's failure.
    if ((e as Error).name === 'AbortError') throw e
    throw new ApiError(0, 'NETWORK', `node unreachable: ${(e as Error).message}`)
  }
  const body = (await res.json().catch(() => null)) as {
    error?: { code: string; message: string; details?: { [k: string]: unknown } }
  } | null
  if (!res.ok) {
    throw new ApiError(
      res.status,
      body?.error?.code ?? `HTTP_${res.status}`,
      body?.error?.message ?? res.statusText,
      body?.error?.details ?? {},
    )
  }
  return body as T
}

/** Adds a file (streamed from disk by the browser) to the node's storage (POST /v1/storage/files). */
export const uploadFile = (f: File, signal?: AbortSignal) =>
  postJson<{ cid: string; size: number; blocks: number }>('/v1/storage/files', f, signal)

/** The item, or null when the node answers 404 for it (but not for a route it lacks: that still throws). */
export async function getOrNull<T>(path: string, signal?: AbortSignal): Promise<T | null> {
  try {
    return await getJson<T>(path, signal)
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && !e.missingRoute) return null
    throw e
  }
}

/** GET /v1/devices answers `{items}` today and `{items, cursor}` once paginated: follow cursors up to `max`. */
export async function listDevices(signal?: AbortSignal, max = 1000): Promise<Device[]> {
  const out: Device[] = []
  let cursor: string | null | undefined
  do {
    const q = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : ''
    const page = await getJson<{ items: Device[]; cursor?: string | null; nextCursor?: string | null }>(
      `/v1/devices${q}`,
      signal,
    )
    out.push(...page.items)
    cursor = page.cursor ?? page.nextCursor
  } while (cursor && out.length < max)
  return out
}

export interface GenesisJson {
  chainId: string
  time: number
  producers: string[]
  authority: string
  hash?: string
  /** Version 2 (docs/protocol.md §9.5): the currency, faucet and fees. Absent on a chain without a ledger. */
  ledger?: {
    symbol: string
    decimals: number
    faucet: string
    faucetGrant: string
    allocations: { account: string; amount: string }[]
    minFees: { [typeName: string]: string }
  }
}

export interface Health {
  status: string
  version: string
  chainId: string
  height: number
  /** The producer set of the next block (genesis and registered producers); absent on older nodes. */
  producers?: string[]
  pending: number
  uptimeMs: number
  genesis: GenesisJson
}

export interface ChainInfo {
  chainId: string
  height: number
  tipHash: string
  tipTime: number
  pending: number
  gateways: number
  genesis: GenesisJson
}

export interface SensorSummary {
  unit: string | null
  value: number
  time: number
  readings: number
}

export interface Device {
  device: string
  gateway: string
  sensors: { [sensor: string]: SensorSummary }
  firstSeen: number
  lastSeen: number
  readings: number
}

export interface Gateway {
  key: string
  name: string
  devices: string[]
  batches: number
  records: number
}

export interface TxView {
  hash: string
  type: string
  chainId: string
  signer: string
  nonce: number
  signature: string
  status: string
  blockHeight: number | null
  index: number | null
  payload: unknown
  bytes: string
  /** The block time, once confirmed. */
  time?: number
  timeIso?: string
  /** Once confirmed (GET /v1/transactions/:hash only): the Merkle path to the signed header's txRoot. */
  proof?: {
    txIndex: number
    txPath: string[]
    blockHeader: string
    blockSignature: string
    /** The producer's registration path when it is not a genesis producer (docs/protocol.md §6.4). */
    registrations?: unknown
  } | null
}

/** GET /v1/accounts/:key (docs/protocol.md §9.7.2): balances are decimal strings of base units. */
export interface AccountView {
  account: string
  balance: string
  balanceCoins: string
  symbol: string
  decimals: number
  nonce: number
  roles: string[]
  height: number
  pending: { balance: string; nonce: number }
}

export interface StorageUpload {
  cid: string
  size: number
  blocks?: number
  at?: number
}

export interface AggregateBucket {
  start: number
  count?: number
  min?: number
  max?: number
  mean?: number
}
