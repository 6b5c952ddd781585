import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isSteleError } from '../../core/errors.ts'
import { Outbox, type SequenceState } from '../../gateway/outbox.ts'
import { tempDir } from '../helpers/tmp.ts'

const entry = (seq: number, size = 10) => ({
  seq,
  tx: new Uint8Array(size).fill(seq),
  records: new Uint8Array([seq, seq + 1]),
})
const stateAt = (seq: number): SequenceState => ({
  chainId: 'c',
  batchSeq: seq,
  recordSeq: seq * 10,
  prevHash: seq.toString(16).padStart(64, '0'),
  hlc: { time: 1000 + seq, logical: seq },
})

describe('durable outbox', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let path: string
  beforeEach(async () => {
    dir = await tempDir('stele-outbox-')
    path = join(dir.path, 'outbox')
  })
  afterEach(() => dir.cleanup())

  it('keeps batches in order and removes a prefix', async () => {
    const box = await Outbox.open({ path })
    for (let i = 1; i <= 5; i++) await box.append(entry(i), stateAt(i))
    expect((await box.peek(3)).map((e) => e.seq)).toEqual([1, 2, 3])
    expect(await box.remove(2)).toBe(2)
    const rest = await box.peek(10)
    expect(rest.map((e) => e.seq)).toEqual([3, 4, 5])
    expect(rest[0]!.tx).toEqual(entry(3).tx)
    expect(rest[0]!.records).toEqual(entry(3).records)
    expect(box.depth()).toMatchObject({ batches: 3, firstSeq: 3, lastSeq: 5 })
    expect(await box.remove(2)).toBe(0)
    await box.close()
  })

  it('overlapping removes count each batch out once (bytes stay a number, room comes back)', async () => {
    const box = await Outbox.open({ path, maxBatches: 5 })
    for (let i = 1; i <= 5; i++) await box.append(entry(i), stateAt(i))
    expect(box.hasRoom()).toBe(false)
    // Not awaited one by one: the submitter and a test harness may both remove while a write is on its way.
    expect(await Promise.all([box.remove(2), box.remove(3), box.remove(3)])).toEqual([2, 1, 0])
    expect(box.depth()).toMatchObject({ batches: 2, firstSeq: 4, lastSeq: 5, bytes: 2 * (4 + 10 + 2) })
    expect(box.hasRoom()).toBe(true)
    await box.close()
  })

  it('survives close and reopen with batches, counters, state and recent memory', async () => {
    const box = await Outbox.open({ path, keepRecent: 2 })
    for (let i = 1; i <= 4; i++) await box.append(entry(i), stateAt(i), Buffer.from(`r${i}`))
    await box.remove(1)
    const depth = box.depth()
    await box.close()

    const again = await Outbox.open({ path, keepRecent: 2 })
    expect(again.depth()).toEqual(depth)
    expect(await again.readState()).toEqual(stateAt(4))
    expect((await again.peek(10)).map((e) => e.seq)).toEqual([2, 3, 4])
    // only the last `keepRecent` duplicate-memory blobs are kept
    expect((await again.recent()).map((b) => Buffer.from(b).toString())).toEqual(['r3', 'r4'])
    await again.close()
  })

  it('peek stops before the byte budget but always returns at least one batch', async () => {
    const box = await Outbox.open({ path })
    for (let i = 1; i <= 4; i++) await box.append(entry(i, 100), stateAt(i))
    expect((await box.peek(10, 250)).length).toBe(2)
    expect((await box.peek(10, 1)).length).toBe(1)
    await box.close()
  })

  it('is bounded: waitForRoom holds until batches are removed', async () => {
    const box = await Outbox.open({ path, maxBatches: 2 })
    await box.append(entry(1), stateAt(1))
    expect(box.hasRoom()).toBe(true)
    await box.append(entry(2), stateAt(2))
    expect(box.hasRoom()).toBe(false)
    let roomy = false
    const waiting = box.waitForRoom().then(() => {
      roomy = true
    })
    await Promise.resolve()
    expect(roomy).toBe(false)
    await box.remove(1)
    await waiting
    expect(roomy).toBe(true)
    await box.close()
  })

  it('is bounded by bytes too', async () => {
    const box = await Outbox.open({ path, maxBytes: 150 })
    await box.append(entry(1, 100), stateAt(1))
    expect(box.hasRoom()).toBe(true)
    await box.append(entry(2, 100), stateAt(2))
    expect(box.hasRoom()).toBe(false)
    await box.close()
  })

  it('refuses a second opener of the same folder with STELE_STORAGE', async () => {
    const box = await Outbox.open({ path })
    const err = await Outbox.open({ path }).catch((e) => e)
    expect(isSteleError(err, 'STELE_STORAGE')).toBe(true)
    await box.close()
  })

  it('hands the submitter the batches it wrote from memory, and what an earlier process wrote from disk', async () => {
    const first = await Outbox.open({ path })
    const a = [entry(1), entry(2)]
    for (const e of a) await first.append(e, stateAt(e.seq))
    const peeked = await first.peek(10)
    expect(peeked[0]).toBe(a[0]) // the very object: not read back
    expect(peeked[1]).toBe(a[1])
    await first.close()
    const again = await Outbox.open({ path })
    const b = entry(3)
    await again.append(b, stateAt(3))
    const fromDisk = await again.peek(10)
    expect(fromDisk.map((e) => e.seq)).toEqual([1, 2, 3])
    expect(fromDisk[0]).not.toBe(a[0])
    expect(fromDisk[0]!.tx).toEqual(a[0]!.tx)
    await again.remove(2)
    expect((await again.peek(10))[0]).toBe(b) // what it wrote itself is next: memory again
    await again.close()
  })

  it('falls back to disk when the memory bound cuts the queue, with the same batches and byte budget', async () => {
    // Each stored batch is 4 + 10 + 2 = 16 bytes: 40 bytes hold two.
    const box = await Outbox.open({ path, memoryBytes: 40 })
    const all = [1, 2, 3, 4, 5].map((seq) => entry(seq))
    for (const e of all) await box.append(e, stateAt(e.seq))
    const peeked = await box.peek(10, 40)
    expect(peeked.map((e) => e.seq)).toEqual([1, 2])
    expect(peeked[0]).not.toBe(all[0]) // 3 did not fit: 1-3 are read from disk
    await box.remove(3)
    const rest = await box.peek(10, 40)
    expect(rest.map((e) => e.seq)).toEqual([4, 5])
    expect(rest[0]).toBe(all[3])
    expect((await box.peek(1))[0]).toBe(all[3])
    await box.remove(5)
    await box.append(entry(6), stateAt(6))
    expect(await box.peek(10)).toEqual([entry(6)])
    await box.close()
  })
})
