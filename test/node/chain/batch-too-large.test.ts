/**
 * A batch no block can hold is refused at admission (STELE_TX_TOO_LARGE, 413) instead of being accepted and then
 * dropped by the producer (node/chain/block-size.ts): the cap is the producer's now, lowered on a network.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { isSteleError } from '../../../core/errors.ts'
import {
  BLOCK_OVERHEAD,
  checkFitsBlock,
  MAX_BLOCK_BYTES,
  wireTxBytes,
} from '../../../node/chain/block-size.ts'
import { appFixture } from '../../helpers/node.ts'

let fx: Awaited<ReturnType<typeof appFixture>> | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

describe('admission of a batch larger than any block', () => {
  it('checkFitsBlock allows exactly a block less its overhead', () => {
    const tx = new Uint8Array(100)
    const room = MAX_BLOCK_BYTES - BLOCK_OVERHEAD - wireTxBytes(tx, 0)
    expect(() => checkFitsBlock(tx, room)).not.toThrow()
    let err: unknown
    try {
      checkFitsBlock(tx, room + 1)
    } catch (e) {
      err = e
    }
    expect(isSteleError(err) && err.code).toBe('STELE_TX_TOO_LARGE')
    expect(isSteleError(err) && err.details).toEqual({
      bytes: MAX_BLOCK_BYTES - BLOCK_OVERHEAD + 1,
      maxBytes: MAX_BLOCK_BYTES - BLOCK_OVERHEAD,
    })
  })

  it('POST /v1/batches answers 413 STELE_TX_TOO_LARGE over the producer cap, and nothing is stored', async () => {
    fx = await appFixture()
    const { app, node, gw } = fx
    // A networked producer's cap is the gossip limit; 16 KiB here, so 200 records do not fit.
    node.producer.limitBlockBytes(16 * 1024)
    const pending = node.mempool.size
    const before = { seq: gw.seq, recordSeq: gw.recordSeq, prevHash: gw.prevHash, time: gw.time }
    const big = gw.next(200)
    const post = (b: { tx: Uint8Array; records: Uint8Array }) =>
      app.inject({
        method: 'POST',
        url: '/v1/batches',
        payload: {
          batches: [
            { tx: Buffer.from(b.tx).toString('base64'), records: Buffer.from(b.records).toString('base64') },
          ],
        },
      })
    const refused = await post(big)
    expect(refused.statusCode).toBe(413)
    expect(refused.json().error.code).toBe('STELE_TX_TOO_LARGE')
    expect(refused.json().error.message).toMatch(/send fewer records per batch/)
    expect(node.mempool.size).toBe(pending)

    // The same sequence with fewer records is accepted and sealed.
    Object.assign(gw, before)
    const small = await post(gw.next(20))
    expect(small.statusCode).toBe(200)
    expect(await node.producer.produce()).not.toBeNull()
    expect(node.mempool.size).toBe(0)
  })
})
