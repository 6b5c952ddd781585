import { afterEach, describe, expect, it } from 'vitest'
import { BatchMaker } from '../../helpers/batches.ts'
import { nodeFixture } from '../../helpers/node.ts'

type Fixture = Awaited<ReturnType<typeof nodeFixture>>
let fx: Fixture | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

describe('batch validation: every record names the batch gateway', () => {
  // Decoding interns a batch's gateway key, so the check compares each distinct key instance once: a record naming
  // another gateway, first or later in the batch, is still refused.
  it.each([0, 2, 3])('refuses a batch whose record %i names another gateway', async (at) => {
    fx = await nodeFixture()
    const other = new BatchMaker(fx.node.genesis.chainId)
    const records = fx.gw.records(4)
    records[at] = { ...records[at]!, gateway: other.key.publicKey }
    const s = fx.gw.seal(records)
    await expect(fx.node.submitBatches([{ tx: s.tx.bytes, records: s.records }])).rejects.toMatchObject({
      code: 'STELE_BATCH_INVALID',
      message: expect.stringContaining('another gateway'),
    })
    expect((await fx.node.gatewayTip(fx.gw.key.publicKey)).nextSeq).toBe(1)
  })

  it('accepts a batch whose records all name its gateway', async () => {
    fx = await nodeFixture()
    expect((await fx.node.submitBatches([fx.gw.next(4)]))[0]!.status).toBe('accepted')
  })
})
