import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../core/bytes.ts'
import { isSteleError } from '../../core/errors.ts'
import { backgroundTimers } from '../../core/timers.ts'
import { BatchMaker } from '../helpers/batches.ts'
import { nodeFixture } from '../helpers/node.ts'

type Fixture = Awaited<ReturnType<typeof nodeFixture>>
let fx: Fixture | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

async function refusal(p: Promise<unknown>) {
  try {
    await p
  } catch (e) {
    if (isSteleError(e)) return e
    throw e
  }
  throw new Error('expected a refusal')
}

describe('batch acceptance (DESIGN §3.7)', () => {
  it('accepts a chain of batches and makes records queryable at once as pending', async () => {
    fx = await nodeFixture()
    const res = await fx.node.submitBatches([fx.gw.next(3), fx.gw.next(2)])
    expect(res.map((r) => [r.seq, r.status])).toEqual([
      [1, 'accepted'],
      [2, 'accepted'],
    ])
    const page = await fx.node.query.readings({ device: 'dev-1', limit: 10, order: 'asc' })
    expect(page.items.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5])
    expect(page.items.every((r) => r.status === 'pending' && r.blockHeight === null)).toBe(true)
  })

  it('refuses an unknown gateway', async () => {
    fx = await nodeFixture()
    const stranger = new BatchMaker(fx.node.genesis.chainId)
    const e = await refusal(fx.node.submitBatches([stranger.next(1)]))
    expect(e.code).toBe('STELE_GATEWAY_UNKNOWN')
    expect(e.message).toContain(toHex(stranger.key.publicKey))
  })

  it('refuses a forged signature', async () => {
    fx = await nodeFixture()
    const b = fx.gw.next(2)
    const tx = new Uint8Array(b.tx)
    tx[tx.length - 1]! ^= 1
    const e = await refusal(fx.node.submitBatches([{ tx, records: b.records }]))
    expect(e.code).toBe('STELE_BAD_SIGNATURE')
  })

  it('refuses records that do not match the signed root', async () => {
    fx = await nodeFixture()
    const b = fx.gw.next(2)
    const records = new Uint8Array(b.records)
    records[records.length - 1]! ^= 1
    const e = await refusal(fx.node.submitBatches([{ tx: b.tx, records }]))
    expect(e.code).toBe('STELE_BATCH_INVALID')
  })

  it('refuses a gap with the sequence to resend, and keeps the batches before it', async () => {
    fx = await nodeFixture()
    const b1 = fx.gw.next(1)
    fx.gw.next(1) // batch 2 is lost on the way
    const b3 = fx.gw.next(1)
    const e = await refusal(fx.node.submitBatches([b1, b3]))
    expect(e.code).toBe('STELE_BATCH_GAP')
    expect(e.details?.expectedSeq).toBe(2)
    expect(e.details?.accepted).toBe(1)
    expect((await fx.node.gatewayTip(fx.gw.key.publicKey)).nextSeq).toBe(2)
  })

  it('accepts a replayed batch as a duplicate without storing it twice', async () => {
    fx = await nodeFixture()
    const b1 = fx.gw.next(4)
    await fx.node.submitBatches([b1])
    const again = await fx.node.submitBatches([b1])
    expect(again[0]?.status).toBe('duplicate')
    const page = await fx.node.query.readings({ device: 'dev-1', limit: 100, order: 'asc' })
    expect(page.items).toHaveLength(4)
    expect(fx.node.ingest.counters.records).toBe(4)
  })

  it('refuses a different batch reusing an accepted sequence', async () => {
    fx = await nodeFixture()
    const key = fx.gw.key
    await fx.node.submitBatches([fx.gw.next(1)])
    const fork = new BatchMaker(fx.node.genesis.chainId, { key })
    const e = await refusal(fx.node.submitBatches([fork.next(2)]))
    expect(e.code).toBe('STELE_BATCH_CONFLICT')
  })

  it('refuses a batch for another chain', async () => {
    fx = await nodeFixture()
    const other = new BatchMaker('another-chain', { key: fx.gw.key })
    const e = await refusal(fx.node.submitBatches([other.next(1)]))
    expect(e.code).toBe('STELE_CHAIN_MISMATCH')
  })
})

describe('blocks', () => {
  it('seals pending transactions into a block, never an empty one, and confirms the records', async () => {
    fx = await nodeFixture()
    expect(await fx.node.producer.produce()).not.toBeNull() // the registration
    expect(await fx.node.producer.produce()).toBeNull()
    await fx.node.submitBatches([fx.gw.next(3)])
    const block = await fx.node.producer.produce()
    expect(block?.header.height).toBe(2)
    const page = await fx.node.query.readings({ device: 'dev-1', limit: 10, order: 'asc' })
    expect(page.items.map((r) => [r.status, r.blockHeight])).toEqual([
      ['confirmed', 2],
      ['confirmed', 2],
      ['confirmed', 2],
    ])
  })

  it('keeps every reading and continues the chain across a restart, and the chain verifies', async () => {
    fx = await nodeFixture()
    await fx.node.submitBatches([fx.gw.next(5)])
    await fx.node.producer.produce()
    await fx.node.submitBatches([fx.gw.next(5)]) // pending at shutdown
    const reopened = await fx.reopen()
    try {
      expect(reopened.mempool.size).toBe(1)
      await reopened.submitBatches([fx.gw.next(5)])
      await reopened.producer.produce()
      const report = await reopened.verify()
      expect(report.height).toBe(2)
      const page = await reopened.query.readings({ device: 'dev-1', limit: 100, order: 'asc' })
      expect(page.items.map((r) => r.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1))
      expect(page.items.every((r) => r.status === 'confirmed')).toBe(true)
    } finally {
      await reopened.close()
    }
  })
})

describe('write rate per gateway', () => {
  it('refuses a gateway over its rate with a retry delay, then accepts it once the bucket refills', async () => {
    const { SteleNode } = await import('../../node/node.ts')
    const { silentLogger } = await import('../../core/logger.ts')
    const { tempDir } = await import('../helpers/tmp.ts')
    let t = 1_000_000
    const dir = await tempDir()
    const node = await SteleNode.open({
      dataDir: dir.path,
      logger: silentLogger,
      timers: { ...backgroundTimers, now: () => t },
      recordsPerSecPerGateway: 100,
    })
    try {
      const gw = new BatchMaker(node.genesis.chainId)
      await node.registerGateway(toHex(gw.key.publicKey), 'limited')
      await node.submitBatches([gw.next(150)]) // within the burst of 200
      const held = gw.next(100)
      const e = await refusal(node.submitBatches([held]))
      expect(e.code).toBe('STELE_RATE_LIMITED')
      expect(e.details?.retryAfterMs).toBe(500)
      t += 500
      expect((await node.submitBatches([held]))[0]?.status).toBe('accepted')
    } finally {
      await node.close()
      await dir.cleanup()
    }
  })
})

describe('chain verification', () => {
  it('refuses a chain whose stored records object went missing', async () => {
    fx = await nodeFixture()
    const b = fx.gw.next(3)
    await fx.node.submitBatches([b])
    await fx.node.producer.produce()
    expect((await fx.node.verify()).height).toBe(1)
    const { decodeTx } = await import('../../core/transaction.ts')
    const { decodeBatchHeader } = await import('../../core/batch.ts')
    const root = toHex(decodeBatchHeader(decodeTx(b.tx).payload).recordsRoot)
    await fx.node.db.del(`o:${root}`)
    await expect(fx.node.verify()).rejects.toThrow(/records of transaction 1 missing/)
  })
})
