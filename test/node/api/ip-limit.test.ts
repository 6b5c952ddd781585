/**
 * Refused authentications limited per client address (issue 10 item 4): forged or unknown-gateway writes from one
 * address run out its token bucket and get 429 STELE_RATE_LIMITED with details.retryAfterMs, while other addresses,
 * reads from the same address and the gateway the forgeries claim to be go on untouched.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SubmittedBatch } from '../../../core/node-api.ts'
import type { Timers } from '../../../core/timers.ts'
import { buildApp } from '../../../node/api/app.ts'
import { AddressFailureLimiter, addressKey, DEFAULT_FAILURE_LIMIT } from '../../../node/api/ip-limit.ts'
import { BatchMaker } from '../../helpers/batches.ts'
import { nodeFixture } from '../../helpers/node.ts'

let fx: Awaited<ReturnType<typeof nodeFixture>>
beforeAll(async () => {
  fx = await nodeFixture()
})
afterAll(async () => {
  await fx.close()
})

let now = 1_000_000
const clock: Pick<Timers, 'now'> = { now: () => now }

const body = (b: SubmittedBatch) => ({
  batches: [{ tx: Buffer.from(b.tx).toString('base64'), records: Buffer.from(b.records).toString('base64') }],
})

/** A batch that claims the registered gateway's key with a broken signature. */
function forged(): object {
  const b = new BatchMaker(fx.node.genesis.chainId, { key: fx.gw.key }).next(1000, 'dev-forged')
  const tx = Buffer.from(b.tx)
  tx[tx.length - 1]! ^= 0xff
  return body({ tx, records: b.records })
}

const post = (app: FastifyInstance, remoteAddress: string, payload: object) =>
  app.inject({ method: 'POST', url: '/v1/batches', payload, remoteAddress })

describe('per-address limit of refused authentications', () => {
  it('401s and 403s from one address end in 429 with retryAfterMs; other addresses, reads and the claimed gateway go on', async () => {
    const app = await buildApp({
      node: fx.node,
      logger: false,
      failureLimit: { burst: 3, perSecond: 1 },
      timers: clock,
    })
    try {
      const stranger = new BatchMaker(fx.node.genesis.chainId)
      expect((await post(app, '10.0.0.1', forged())).statusCode).toBe(401)
      expect((await post(app, '10.0.0.1', body(stranger.next(1)))).statusCode).toBe(403)
      expect((await post(app, '10.0.0.1', forged())).statusCode).toBe(401)
      const limited = await post(app, '10.0.0.1', forged())
      expect(limited.statusCode).toBe(429)
      expect(limited.json().error).toMatchObject({
        code: 'STELE_RATE_LIMITED',
        details: { retryAfterMs: 1000 },
      })
      // Even a valid write from that address waits: the check comes before the body is read.
      const valid = body(fx.gw.next(2))
      expect((await post(app, '10.0.0.1', valid)).statusCode).toBe(429)
      expect(
        (await app.inject({ method: 'GET', url: '/v1/health', remoteAddress: '10.0.0.1' })).statusCode,
      ).toBe(200)
      // Another address still gets its own answers, and the gateway the forgeries claimed was charged nothing.
      expect((await post(app, '10.0.0.2', forged())).statusCode).toBe(401)
      const real = await post(app, '10.0.0.2', valid)
      expect(real.statusCode).toBe(200)
      expect(real.json().results[0].status).toBe('accepted')
      // A token back after a second: one more refusal, then limited again.
      now += 1000
      expect((await post(app, '10.0.0.1', forged())).statusCode).toBe(401)
      expect((await post(app, '10.0.0.1', forged())).statusCode).toBe(429)
      // IPv6 by /64: another address in the same /64 shares the bucket.
      for (let i = 0; i < 3; i++) await post(app, '2001:db8:0:1::5', forged())
      expect((await post(app, '2001:db8:0:1::77', forged())).statusCode).toBe(429)
      expect((await post(app, '2001:db8:0:2::5', forged())).statusCode).toBe(401)
    } finally {
      await app.close()
    }
  })

  it(`the default allows ${DEFAULT_FAILURE_LIMIT.burst} refusals in a burst; false turns the limit off`, async () => {
    for (const failureLimit of [undefined, false] as const) {
      const app = await buildApp({
        node: fx.node,
        logger: false,
        timers: clock,
        ...(failureLimit === false ? { failureLimit } : {}),
      })
      try {
        const codes: number[] = []
        for (let i = 0; i <= DEFAULT_FAILURE_LIMIT.burst; i++)
          codes.push((await post(app, '10.9.9.9', forged())).statusCode)
        expect(codes.slice(0, -1).every((c) => c === 401)).toBe(true)
        expect(codes.at(-1)).toBe(failureLimit === false ? 401 : 429)
      } finally {
        await app.close()
      }
    }
  })

  it('remembers a bounded number of addresses, and forgets one whose bucket is full again', () => {
    let t = 0
    const l = new AddressFailureLimiter({ burst: 2, perSecond: 1, maxAddresses: 3 }, { now: () => t })
    for (let i = 0; i < 10; i++) l.charge(`192.0.2.${i}`)
    expect(l.size).toBe(3)
    l.charge('192.0.2.9')
    expect(l.waitMs('192.0.2.9')).toBe(1000)
    t += 2000
    expect(l.waitMs('192.0.2.9')).toBe(0)
    expect(l.size).toBe(2)
  })

  it('keys IPv4, IPv4-mapped IPv6 and IPv6 /64s', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7')
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:0db8:0001:0002::9')).toBe('2001:db8:1:2::/64')
    expect(addressKey('::1')).toBe('0:0:0:0::/64')
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
  })
})
