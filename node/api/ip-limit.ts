import { isIPv6 } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { SteleError } from '../../core/errors.ts'
import { realTimers, type Timers } from '../../core/timers.ts'

/**
 * How many refused authentications (401 and 403: bad signature, unknown gateway, not authorized) one client address
 * may cause: a token bucket per address. Each such answer takes a token; with none left, the address's writes get
 * 429 STELE_RATE_LIMITED before their body is read, until a token is back. Nothing of this is charged to the gateway
 * a request claims to be: its key is not proven until its signature verifies (docs/security.md).
 */
export interface FailureLimit {
  /** Failures an address may cause in a burst. Default 20. */
  burst: number
  /** Tokens given back per second to each address. Default 1 (a sustained 60 refusals a minute). */
  perSecond: number
  /** Addresses remembered at most; past it the least recently failing is forgotten. Default 10,000 (~1 MB). */
  maxAddresses: number
}

export const DEFAULT_FAILURE_LIMIT: FailureLimit = { burst: 20, perSecond: 1, maxAddresses: 10_000 }

/**
 * The bucket key of a client address: IPv4 as it is (an IPv4-mapped IPv6 address as its IPv4 address), IPv6 by its
 * /64, which one host or site usually holds whole (else a client would get a fresh bucket per address it picks).
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1]!
  if (!isIPv6(ip)) return ip
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  // '::' stands for the missing zero groups (an IPv4 tail is two groups, which never reach the first four).
  const groups = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`
}

interface Bucket {
  tokens: number
  at: number
}

/** Token buckets by address key, bounded: a Map in order of last failure, the oldest forgotten first. */
export class AddressFailureLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    private readonly limit: FailureLimit = DEFAULT_FAILURE_LIMIT,
    private readonly timers: Pick<Timers, 'now'> = realTimers,
  ) {}

  /** Milliseconds until `ip` may cause a refusal again; 0 when it may now. */
  waitMs(ip: string): number {
    const b = this.refilled(addressKey(ip))
    if (b === undefined || b.tokens >= 1) return 0
    return Math.ceil(((1 - b.tokens) / this.limit.perSecond) * 1000)
  }

  /** Takes a token from `ip`'s bucket: it was answered 401 or 403. */
  charge(ip: string): void {
    const key = addressKey(ip)
    const b = this.refilled(key) ?? { tokens: this.limit.burst, at: this.timers.now() }
    b.tokens = Math.max(0, b.tokens - 1)
    this.buckets.delete(key)
    this.buckets.set(key, b)
    if (this.buckets.size > this.limit.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!)
  }

  get size(): number {
    return this.buckets.size
  }

  /** The bucket with the tokens earned since it was last touched; a full one is forgotten (it is the default). */
  private refilled(key: string): Bucket | undefined {
    const b = this.buckets.get(key)
    if (b === undefined) return undefined
    const now = this.timers.now()
    b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) / 1000) * this.limit.perSecond)
    b.at = now
    if (b.tokens >= this.limit.burst) {
      this.buckets.delete(key)
      return undefined
    }
    return b
  }
}

/**
 * Counts every 401/403 the app answers against the client's address, and answers 429 to the writes (any method but
 * GET, HEAD and OPTIONS: reads never authenticate, so health checks and the explorer behind the same address keep
 * working) of an address with no token left, before routing reads the body or checks a signature.
 */
export function installFailureLimit(app: FastifyInstance, limiter: AddressFailureLimiter): void {
  app.addHook('onRequest', async (req) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return
    const wait = limiter.waitMs(req.ip)
    if (wait > 0)
      throw new SteleError(
        'STELE_RATE_LIMITED',
        `too many refused authentications from ${req.ip}; retry in ${wait} ms`,
        { details: { retryAfterMs: wait } },
      )
  })
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode === 401 || reply.statusCode === 403) limiter.charge(req.ip)
  })
}
