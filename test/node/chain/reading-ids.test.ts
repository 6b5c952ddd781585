import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../core/logger.ts'
import { K } from '../../../node/db/keys.ts'
import { SteleNode } from '../../../node/node.ts'
import { nodeFixture } from '../../helpers/node.ts'

type Fixture = Awaited<ReturnType<typeof nodeFixture>>
let fx: Fixture | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

/** Every reading of the device: id and seq, from its series chunks. */
async function readings(node: SteleNode): Promise<{ id: string; seq: number }[]> {
  const page = await node.query.readings({ device: 'dev-1', limit: 1000, order: 'asc' })
  return page.items.map((r) => ({ id: r.id, seq: r.seq }))
}

async function expectFound(node: SteleNode, all: { id: string; seq: number }[]): Promise<void> {
  for (const r of all) expect((await node.query.reading(r.id)).seq).toBe(r.seq)
}

/** Keys and value bytes under a prefix. */
async function keysUnder(node: SteleNode, prefix: string): Promise<{ keys: number; bytes: number }> {
  let keys = 0
  let bytes = 0
  for await (const [, v] of node.db.iterator({ gte: prefix, lt: `${prefix}\uffff` })) {
    keys++
    bytes += v.length
  }
  return { keys, bytes }
}

describe('reading id index (runs)', () => {
  it('finds every reading by id before its run is written, after it and after a reopen; ids stored once', async () => {
    fx = await nodeFixture()
    let node = fx.node
    node.state.readingIds.runRecords = 25
    const batches = Array.from({ length: 8 }, () => fx!.gw.next(10))
    // A resend of each batch is a duplicate: its ids must not be noted twice.
    for (const b of batches) {
      await node.submitBatches([b])
      expect((await node.submitBatches([b]))[0]!.status).toBe('duplicate')
    }
    const all = await readings(node)
    expect(all).toHaveLength(80)
    // No key per reading; runs hold 16 bytes per id, each id once (runs of 30 and 30 written, 20 held in memory).
    expect((await keysUnder(node, 'i:')).keys).toBe(0)
    expect((await keysUnder(node, 'n:')).bytes).toBe(60 * 16)
    await expectFound(node, all)

    // Reopened: the ids after the last run are rebuilt from the accepted batches.
    node = await fx.reopen()
    fx.node = node
    node.state.readingIds.runRecords = 25
    await expectFound(node, all)
    await node.submitBatches([fx.gw.next(10)])
    expect((await keysUnder(node, 'n:')).bytes).toBe(90 * 16)
    const more = await readings(node)
    await expectFound(node, more)
    await node.producer.produce()
    const proof = await node.query.proof(more[85]!.id)
    expect((proof.reading as { seq: number }).seq).toBe(86)

    // An id sharing the first 8 bytes of a reading's id, or not hex at all, names no reading.
    const lookalike = all[0]!.id.slice(0, 16) + 'f'.repeat(48)
    await expect(node.query.reading(lookalike)).rejects.toMatchObject({ code: 'STELE_NOT_FOUND' })
    await expect(node.query.reading('zz')).rejects.toMatchObject({ code: 'STELE_NOT_FOUND' })
  })

  it('reads a folder of one `i:` key per reading (no runs marker), and marks it at its next write', async () => {
    fx = await nodeFixture()
    let node = fx.node
    for (let i = 0; i < 3; i++) await node.submitBatches([fx.gw.next(5)])
    const old = await readings(node)
    // Turn the folder into one of the former layout: per-reading keys, no marker, nothing held in runs.
    for (const [i, r] of old.entries())
      await node.db.put(K.reading(r.id, 1 + Math.floor(i / 5), i % 5), new Uint8Array(0))
    await node.db.del(K.readingRunsThrough)
    node = await fx.reopen()
    fx.node = node
    await expectFound(node, old)

    await node.submitBatches([fx.gw.next(5)])
    expect([...(await node.db.get(K.readingRunsThrough))!]).toEqual([0, 0, 0, 0, 0, 3])
    // fx.reopen closes the first node only: this one is closed and opened here.
    await node.close()
    node = await SteleNode.open({ dataDir: fx.dir.path, logger: silentLogger })
    fx.node = node
    await expectFound(node, await readings(node))
  })

  it('after a failed write of a run, the resent batches are found and their ids written once', async () => {
    fx = await nodeFixture()
    const node = fx.node
    node.state.readingIds.runRecords = 15
    await node.submitBatches([fx.gw.next(10)])
    const db = node.db
    const real = db.batch.bind(db) as () => ReturnType<typeof db.batch>
    ;(db as { batch: unknown }).batch = () => {
      const b = real()
      b.write = () => Promise.reject(new Error('injected: no space left on device'))
      return b
    }
    const next = fx.gw.next(10)
    await expect(node.submitBatches([next])).rejects.toMatchObject({ code: 'STELE_STORAGE' })
    ;(db as { batch: unknown }).batch = real
    expect((await node.submitBatches([next]))[0]!.status).toBe('accepted')
    await node.submitBatches([fx.gw.next(10)])
    const all = await readings(node)
    expect(all).toHaveLength(30)
    await expectFound(node, all)
    expect((await keysUnder(node, 'n:')).bytes).toBe(20 * 16)
  })
})
