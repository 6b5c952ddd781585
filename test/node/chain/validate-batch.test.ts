import { describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { decodeTx } from '../../../core/transaction.ts'
import { type GatewayState, ZERO_HEX } from '../../../node/chain/state.ts'
import { validateBatch } from '../../../node/chain/validate-batch.ts'
import { BatchMaker } from '../../helpers/batches.ts'

const CHAIN = 'test-chain'

function gatewayState(gw: BatchMaker): GatewayState {
  const key = toHex(gw.key.publicKey)
  return {
    key,
    name: 'g',
    devices: [],
    registeredTx: ZERO_HEX,
    nextSeq: 1,
    prevHash: ZERO_HEX,
    nextRecordSeq: 1,
    lastTime: 0,
    batches: 0,
    records: 0,
  }
}

describe('validateBatch: every record names the batch gateway', () => {
  // Decoding interns a batch's gateway key, so the check compares each distinct key instance: a record naming
  // another gateway, first or later in the batch, is still refused.
  it.each([0, 2, 3])('refuses a batch whose record %i names another gateway', async (at) => {
    const gw = new BatchMaker(CHAIN)
    const other = new BatchMaker(CHAIN)
    const records = gw.records(4)
    records[at] = { ...records[at]!, gateway: other.key.publicKey }
    const s = gw.seal(records)
    const ctx = { chainId: CHAIN, gateway: gatewayState(gw), knownTxHash: async () => undefined }
    await expect(validateBatch(decodeTx(s.tx.bytes), s.records, ctx)).rejects.toMatchObject({
      code: 'STELE_BATCH_INVALID',
      message: expect.stringContaining('another gateway'),
    })
  })

  it('accepts a batch whose records all name its gateway', async () => {
    const gw = new BatchMaker(CHAIN)
    const s = gw.seal(gw.records(4))
    const ctx = { chainId: CHAIN, gateway: gatewayState(gw), knownTxHash: async () => undefined }
    expect((await validateBatch(decodeTx(s.tx.bytes), s.records, ctx)).kind).toBe('new')
  })
})
