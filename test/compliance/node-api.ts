/**
 * The NodeApi contract (core/node-api.ts), one suite for every implementation: the node in process, the HTTP client
 * against a real node, and the gateway tests' fake. Each gets a subject whose node it can register gateways with;
 * every test uses a fresh gateway key, so one subject serves the whole suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { batchHeaderHash } from '../../core/batch.ts'
import { toHex } from '../../core/bytes.ts'
import { generateKeyPair } from '../../core/ed25519.ts'
import { isSteleError, SteleError } from '../../core/errors.ts'
import type { NodeApi, SubmittedBatch } from '../../core/node-api.ts'
import { decodeTx, signTx } from '../../core/transaction.ts'
import { BatchMaker } from '../helpers/batches.ts'

export interface NodeApiSubject {
  api: NodeApi
  chainId: string
  /** Registers a gateway key with the node behind `api`. */
  register(key: Uint8Array): Promise<void>
  close(): Promise<void>
}

const ZEROS = '0'.repeat(64)

/** The error a call rejected with (fails the test when it resolved). */
const refusal = (p: Promise<unknown>): Promise<SteleError> =>
  p.then(
    () => expect.fail('the call was expected to be refused'),
    (e: unknown) => e as SteleError,
  )

export function nodeApiCompliance(name: string, factory: () => Promise<NodeApiSubject>): void {
  describe(`NodeApi compliance: ${name}`, () => {
    let s: NodeApiSubject
    beforeAll(async () => {
      s = await factory()
    })
    afterAll(() => s?.close())

    /** A registered gateway that seals real, signed batches. */
    const gateway = async (): Promise<BatchMaker> => {
      const gw = new BatchMaker(s.chainId)
      await s.register(gw.key.publicKey)
      return gw
    }

    it('info names the chain and carries its genesis', async () => {
      const info = await s.api.info()
      expect(info.chainId).toBe(s.chainId)
      expect(info.genesis.chainId).toBe(s.chainId)
      expect(Number.isSafeInteger(info.height) && info.height >= 0).toBe(true)
      expect(typeof info.version).toBe('string')
    })

    it('gatewayTip: an unknown key is unregistered at the start of its chain; a registered one is registered', async () => {
      const stranger = generateKeyPair().publicKey
      expect(await s.api.gatewayTip(stranger)).toEqual({
        registered: false,
        nextSeq: 1,
        prevHash: ZEROS,
        nextRecordSeq: 1,
      })
      const gw = await gateway()
      expect(await s.api.gatewayTip(gw.key.publicKey)).toEqual({
        registered: true,
        nextSeq: 1,
        prevHash: ZEROS,
        nextRecordSeq: 1,
      })
    })

    it('accepts signed batches in order and moves the tip past them', async () => {
      const gw = await gateway()
      const batches = [gw.next(3), gw.next(2)]
      const results = await s.api.submitBatches(batches)
      expect(results).toEqual(
        batches.map((b, i) => ({ seq: i + 1, status: 'accepted', txHash: toHex(decodeTx(b.tx).hash) })),
      )
      const last = decodeTx(batches[1]!.tx)
      expect(await s.api.gatewayTip(gw.key.publicKey)).toEqual({
        registered: true,
        nextSeq: 3,
        prevHash: toHex(batchHeaderHash(last.payload)),
        nextRecordSeq: 6,
      })
    })

    it('answers a resend as duplicate and stores nothing twice', async () => {
      const gw = await gateway()
      const b1 = gw.next(2)
      const [first] = await s.api.submitBatches([b1])
      const tip = await s.api.gatewayTip(gw.key.publicKey)
      expect(await s.api.submitBatches([b1])).toEqual([
        { seq: 1, status: 'duplicate', txHash: first!.txHash },
      ])
      expect(await s.api.gatewayTip(gw.key.publicKey)).toEqual(tip)
    })

    it('refuses a gap with STELE_BATCH_GAP, expectedSeq, and the batches before it accepted', async () => {
      const gw = await gateway()
      const b1 = gw.next(1)
      gw.next(1) // batch 2 sealed, never sent
      const b3 = gw.next(1)
      const e = await refusal(s.api.submitBatches([b1, b3]))
      expect(isSteleError(e, 'STELE_BATCH_GAP')).toBe(true)
      expect(e.details).toMatchObject({ expectedSeq: 2, accepted: 1 })
      expect((await s.api.gatewayTip(gw.key.publicKey)).nextSeq).toBe(2)
    })

    it('refuses a forged signature with STELE_BAD_SIGNATURE and accepts nothing', async () => {
      const gw = await gateway()
      const real = gw.next(2)
      const tx = decodeTx(real.tx)
      const forged = signTx(
        { type: tx.type, chainId: tx.chainId, signer: tx.signer, nonce: tx.nonce, payload: tx.payload },
        generateKeyPair().secretKey,
      )
      const e = await refusal(s.api.submitBatches([{ tx: forged.bytes, records: real.records }]))
      expect(isSteleError(e, 'STELE_BAD_SIGNATURE')).toBe(true)
      expect((await s.api.gatewayTip(gw.key.publicKey)).nextSeq).toBe(1)
    })

    it('refuses a key the chain does not know with STELE_GATEWAY_UNKNOWN', async () => {
      const stranger = new BatchMaker(s.chainId)
      const e = await refusal(s.api.submitBatches([stranger.next(1)]))
      expect(isSteleError(e, 'STELE_GATEWAY_UNKNOWN')).toBe(true)
      expect((await s.api.gatewayTip(stranger.key.publicKey)).registered).toBe(false)
    })

    it('rejects every call whose signal aborted with the signal reason, and accepts nothing', async () => {
      const gw = await gateway()
      const ac = new AbortController()
      const reason = new SteleError('STELE_UNAVAILABLE', 'the caller gave up')
      ac.abort(reason)
      const opts = { signal: ac.signal }
      const batch: SubmittedBatch = gw.next(1)
      expect(await refusal(s.api.info(opts))).toBe(reason)
      expect(await refusal(s.api.gatewayTip(gw.key.publicKey, opts))).toBe(reason)
      expect(await refusal(s.api.submitBatches([batch], opts))).toBe(reason)
      expect((await s.api.gatewayTip(gw.key.publicKey)).nextSeq).toBe(1)
      expect((await s.api.submitBatches([batch]))[0]?.status).toBe('accepted')
    })
  })
}
