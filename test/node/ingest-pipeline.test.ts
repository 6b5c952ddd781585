import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../core/bytes.ts'
import { isSteleError } from '../../core/errors.ts'
import type { SubmitResult, SubmittedBatch } from '../../core/node-api.ts'
import type { AcceptedBatch } from '../../node/chain/accepted-batch.ts'
import { aggregate } from '../../node/chain/aggregate.ts'
import type { SteleNode } from '../../node/node.ts'
import { BatchMaker } from '../helpers/batches.ts'
import { nodeFixture } from '../helpers/node.ts'

type Fixture = Awaited<ReturnType<typeof nodeFixture>>
let fx: Fixture | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

async function allReadings(node: SteleNode, device: string): Promise<number[]> {
  const seqs: number[] = []
  let cursor: string | undefined
  do {
    const page = await node.query.readings({ device, limit: 1000, order: 'asc', cursor })
    seqs.push(...page.items.map((r) => r.seq))
    cursor = page.nextCursor ?? undefined
  } while (cursor)
  return seqs
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** Makes the nth chained-batch write of the node's LevelDB fail (a full disk, a dead volume). */
function failWrite(node: SteleNode, nth: number): void {
  const db = node.db
  const real = db.batch.bind(db) as () => ReturnType<typeof db.batch>
  let n = 0
  ;(db as { batch: unknown }).batch = (...args: unknown[]) => {
    if (args.length > 0) return (real as (...a: unknown[]) => unknown)(...args)
    const b = real()
    if (++n === nth) {
      b.write = async () => {
        await new Promise((r) => setTimeout(r, 20))
        throw new Error('injected: no space left on device')
      }
    }
    return b
  }
}

describe('pipelined acceptance', () => {
  it('accepts concurrent calls of several gateways in order, each reading stored once', async () => {
    fx = await nodeFixture()
    const node = fx.node
    const gws = [fx.gw, new BatchMaker(node.genesis.chainId), new BatchMaker(node.genesis.chainId)]
    for (const g of gws.slice(1)) await node.registerGateway(toHex(g.key.publicKey), 'g')
    const events: AcceptedBatch[] = []
    node.ingest.on('records', (recs) => events.push(recs))
    await Promise.all(
      gws.map(async (g, gi) => {
        for (let i = 0; i < 8; i++) await node.submitBatches([g.next(50, `dev-${gi}`, 'temp')])
      }),
    )
    for (let gi = 0; gi < gws.length; gi++) {
      expect((await allReadings(node, `dev-${gi}`)).length).toBe(400)
      expect((await node.gatewayTip(gws[gi]!.key.publicKey)).nextSeq).toBe(9)
    }
    const seqs = events.map((e) => e.acceptSeq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(new Set(seqs).size).toBe(24)
    // Each event's ids name its own readings, in leaf order.
    const e = events[5]!
    for (const i of [0, 17, 49]) {
      const view = await node.query.reading(e.id(i))
      expect([view.leafIndex, view.txHash, view.seq]).toEqual([i, e.txHash, e.records[i]!.seq])
    }
  })

  it('validates a call against the batches of calls still being written', async () => {
    fx = await nodeFixture()
    const node = fx.node
    const batches = Array.from({ length: 10 }, () => fx!.gw.next(20))
    // Not awaited one by one: each call's batch continues the one before, which is not on disk yet.
    const results = await Promise.all(batches.map((b) => node.submitBatches([b])))
    expect(results.map((r) => r[0]!.status)).toEqual(Array(10).fill('accepted'))
    // A resend of a batch whose write is in flight is a duplicate, not a conflict.
    const again = fx.gw.next(5)
    const [first, second] = await Promise.all([node.submitBatches([again]), node.submitBatches([again])])
    expect([first[0]!.status, second[0]!.status]).toEqual(['accepted', 'duplicate'])
    expect(await allReadings(node, 'dev-1')).toEqual(range(1, 205))
  })

  it('a failed write refuses the calls staged after it, keeps the ones before, and the node recovers', async () => {
    fx = await nodeFixture()
    const node = fx.node
    const T = fx.gw.time
    const batches: SubmittedBatch[] = Array.from({ length: 6 }, () => fx!.gw.next(10))
    failWrite(node, 3)
    const settled = await Promise.allSettled(batches.map((b) => node.submitBatches([b])))
    const outcome = settled.map((s) =>
      s.status === 'fulfilled'
        ? (s.value as SubmitResult[])[0]!.status
        : isSteleError(s.reason) && s.reason.code,
    )
    expect(outcome.slice(0, 2)).toEqual(['accepted', 'accepted'])
    expect(outcome[2]).toBe('STELE_STORAGE')
    for (const o of outcome.slice(3)) expect(['STELE_STORAGE', 'STELE_BATCH_GAP']).toContain(o)
    expect((await node.gatewayTip(fx.gw.key.publicKey)).nextSeq).toBe(3)
    expect(await allReadings(node, 'dev-1')).toEqual(range(1, 20))
    expect(node.devices.get('dev-1')?.readings).toBe(20)

    // The gateway resends from the expected batch; everything lands once, rollups included.
    for (const b of batches.slice(2)) expect((await node.submitBatches([b]))[0]!.status).toBe('accepted')
    expect(await allReadings(node, 'dev-1')).toEqual(range(1, 60))
    expect(node.devices.get('dev-1')?.readings).toBe(60)
    const agg = await aggregate(node.db, node.state.maxChunkSpan, {
      device: 'dev-1',
      sensor: 'temp',
      everyMs: 86_400_000,
    })
    expect(agg.buckets.reduce((n, b) => n + b.count, 0)).toBe(60)
    expect(Math.min(...agg.buckets.map((b) => b.firstTime))).toBe(T + 10)

    const reopened = await fx.reopen()
    try {
      expect(await allReadings(reopened, 'dev-1')).toEqual(range(1, 60))
      expect(reopened.devices.get('dev-1')?.readings).toBe(60)
    } finally {
      await reopened.close()
    }
  })
})

describe('reading id index', () => {
  it('finds a reading among ids sharing its 16-digit prefix, and no reading for an id that only shares it', async () => {
    fx = await nodeFixture()
    const node = fx.node
    await node.submitBatches([fx.gw.next(3), fx.gw.next(2)])
    const page = await node.query.readings({ device: 'dev-1', limit: 10, order: 'asc' })
    const [a, b] = [page.items[0]!, page.items[4]!]
    // Keys for `a`'s prefix that point at another reading (b: batch 2, leaf 1) and at nothing (batch 99).
    const { K } = await import('../../node/db/keys.ts')
    await node.db.put(K.reading(a.id, 2, 1), new Uint8Array(0))
    await node.db.put(K.reading(a.id, 99, 0), new Uint8Array(0))
    expect((await node.query.reading(a.id)).seq).toBe(a.seq)
    expect((await node.query.reading(b.id)).seq).toBe(b.seq)
    const lookalike = a.id.slice(0, 16) + 'f'.repeat(48)
    await expect(node.query.reading(lookalike)).rejects.toMatchObject({ code: 'STELE_NOT_FOUND' })
    await node.producer.produce()
    const proof = await node.query.proof(a.id)
    expect((proof.reading as { seq: number }).seq).toBe(a.seq)
  })
})
