import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../core/ed25519.ts'
import { isSteleError, type SteleError } from '../../core/errors.ts'
import type { SubmittedBatch } from '../../core/node-api.ts'
import { backgroundTimers } from '../../core/timers.ts'
import { decodeTx, signTx } from '../../core/transaction.ts'
import { buildApp } from '../../node/api/app.ts'
import { nodeFixture } from '../helpers/node.ts'

// Issue 10 item 4: nothing is charged to a gateway's write allowance until a batch of its own verifies.

let fx: Awaited<ReturnType<typeof nodeFixture>> | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

/** A record list that claims 2^32 - 1 records (the list is not signed; only the header's count is). */
const HUGE_LIST = new Uint8Array([0xff, 0xff, 0xff, 0xff])

/** `real`'s transaction re-signed by another key: it claims the gateway's key, its signature does not verify. */
function forge(real: SubmittedBatch): SubmittedBatch {
  const tx = decodeTx(real.tx)
  const forged = signTx(
    { type: tx.type, chainId: tx.chainId, signer: tx.signer, nonce: tx.nonce, payload: tx.payload },
    generateKeyPair().secretKey,
  )
  return { tx: forged.bytes, records: HUGE_LIST }
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('accepted'),
    (e: SteleError) => e,
  )

describe('write allowance', () => {
  it('is not charged by a forged batch that claims a registered key and a huge record count', async () => {
    fx = await nodeFixture({ recordsPerSecPerGateway: 1000 })
    const real = fx.gw.next(5)
    const e = await refusal(fx.node.submitBatches([forge(real)]))
    expect(isSteleError(e, 'STELE_BAD_SIGNATURE')).toBe(true)
    expect((await fx.node.submitBatches([real]))[0]?.status).toBe('accepted')
  })

  it('is not charged over HTTP either: the real gateway gets 200 after the forged POST /v1/batches got 401', async () => {
    fx = await nodeFixture({ recordsPerSecPerGateway: 1000 })
    const app = await buildApp({ node: fx.node, logger: false })
    try {
      const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64')
      const post = (b: SubmittedBatch) =>
        app.inject({
          method: 'POST',
          url: '/v1/batches',
          payload: { batches: [{ tx: b64(b.tx), records: b64(b.records) }] },
        })
      const real = fx.gw.next(5)
      expect((await post(forge(real))).statusCode).toBe(401)
      const res = await post(real)
      expect(res.statusCode).toBe(200)
      expect(res.json().results[0].status).toBe('accepted')
    } finally {
      await app.close()
    }
  })

  it('charges the count the gateway signed, not the count its record list claims', async () => {
    fx = await nodeFixture({ recordsPerSecPerGateway: 1000 })
    const real = fx.gw.next(5)
    // Signed by the gateway, but the unsigned list was swapped on the way: refused, and nothing charged.
    const e = await refusal(fx.node.submitBatches([{ tx: real.tx, records: HUGE_LIST }]))
    expect(e.code).toMatch(/STELE_BAD_ENCODING|STELE_BATCH_INVALID/)
    expect((await fx.node.submitBatches([real]))[0]?.status).toBe('accepted')
  })

  it('is not charged by resends of accepted batches (a replayed batch is a duplicate)', async () => {
    const t = 1_000_000
    fx = await nodeFixture({ recordsPerSecPerGateway: 100, timers: { ...backgroundTimers, now: () => t } })
    const first = fx.gw.next(150) // burst 200: 50 left, and the clock stands still
    await fx.node.submitBatches([first])
    for (let i = 0; i < 5; i++) expect((await fx.node.submitBatches([first]))[0]?.status).toBe('duplicate')
    expect((await fx.node.submitBatches([fx.gw.next(50)]))[0]?.status).toBe('accepted')
    const over = await refusal(fx.node.submitBatches([fx.gw.next(1)]))
    expect(over.code).toBe('STELE_RATE_LIMITED')
  })
})
