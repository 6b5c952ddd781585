import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../core/ed25519.ts'
import { isSteleError } from '../../core/errors.ts'
import type { Reading } from '../../core/reading.ts'
import { decodeRecordList } from '../../core/record.ts'
import { Batcher } from '../../gateway/batcher.ts'
import type { FrameSpan } from '../../gateway/connectors/connector.ts'
import { createHlc } from '../../gateway/hlc.ts'
import { Outbox, type SequenceState } from '../../gateway/outbox.ts'
import { tempDir } from '../helpers/tmp.ts'
import { ManualTimers } from './helpers/manual-timers.ts'

const fresh: SequenceState = {
  chainId: 'test-chain',
  batchSeq: 0,
  recordSeq: 0,
  prevHash: '0'.repeat(64),
  hlc: { time: 0, logical: 0 },
}
const sensors = ['temp', 'humidity', 'door']
/** One board frame: three readings sharing the frame's seq. */
const frame = (seq: number): Reading[] =>
  sensors.map((sensor, i) => ({
    device: 'b',
    sensor,
    value: seq + i,
    deviceSeq: seq,
    deviceTime: seq * 10,
    source: 'serial',
  }))
const spans = (boot: number, seqs: number[]): FrameSpan[] =>
  seqs.map((seq, i) => ({ source: 'serial:b', boot, seq, end: (i + 1) * 3 }))

describe('batcher with source frames', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let outbox: Outbox
  const key = generateKeyPair()
  beforeEach(async () => {
    dir = await tempDir('stele-batcher-frames-')
    outbox = await Outbox.open({ path: join(dir.path, 'outbox') })
  })
  afterEach(async () => {
    await outbox.close()
    await dir.cleanup()
  })
  const make = (maxRecords: number) =>
    new Batcher({
      key,
      outbox,
      state: fresh,
      hlc: createHlc({ now: () => 1 }),
      timers: new ManualTimers(),
      maxRecords,
      maxDelayMs: 50,
      sealWorker: false, // in step with the test's flush(); test/gateway/sealer.test.ts covers the worker
    })

  it('never splits a frame across batches and writes the last complete frame’s mark with each batch', async () => {
    const b = make(4) // 4 records would cut the second frame: batches end at frame boundaries instead
    const pushed = b.push([...frame(7), ...frame(8), ...frame(9)], spans(42, [7, 8, 9]))
    await b.flush()
    await pushed
    const sizes = (await outbox.peek(10)).map((e) => decodeRecordList(e.records).length)
    expect(sizes).toEqual([3, 3, 3])
    expect(await outbox.marks()).toEqual([{ source: 'serial:b', boot: 42, seq: 9 }])
    expect(b.mark('serial:b')).toEqual({ source: 'serial:b', boot: 42, seq: 9 })
  })

  it('takes a frame longer than maxRecords whole and refuses spans that do not cover the push', async () => {
    const b = make(2)
    await b.push(frame(1), spans(1, [1]))
    expect((await outbox.peek(10)).map((e) => decodeRecordList(e.records).length)).toEqual([3])
    const bad = await b.push(frame(2), [{ source: 'serial:b', boot: 1, seq: 2, end: 2 }]).catch((e) => e)
    expect(isSteleError(bad, 'STELE_BAD_REQUEST')).toBe(true)
    expect(b.stats().stamped).toBe(3)
  })

  it('restores the marks from the outbox on restart', async () => {
    const b = make(100)
    const pushed = b.push(frame(5), spans(9, [5]))
    await b.flush()
    await pushed
    await outbox.close()
    outbox = await Outbox.open({ path: join(dir.path, 'outbox') })
    const again = new Batcher({
      key,
      outbox,
      state: (await outbox.readState())!,
      hlc: createHlc({ now: () => 1 }),
      marks: await outbox.marks(),
    })
    expect(again.mark('serial:b')).toEqual({ source: 'serial:b', boot: 9, seq: 5 })
  })

  it('writes every batch ready at once in one outbox write (group commit), in sequence', async () => {
    const b = make(3)
    let writes = 0
    const appendMany = outbox.appendMany.bind(outbox)
    outbox.appendMany = (...a) => {
      writes++
      return appendMany(...a)
    }
    const pushed = b.push([...frame(1), ...frame(2), ...frame(3), ...frame(4)], spans(5, [1, 2, 3, 4]))
    await b.flush()
    await pushed
    expect(writes).toBe(1)
    expect((await outbox.peek(10)).map((e) => e.seq)).toEqual([1, 2, 3, 4])
    expect(b.stats()).toMatchObject({ sealed: 4, lastBatchSeq: 4, lastRecordSeq: 12 })
    expect((await outbox.readState())!.batchSeq).toBe(4)
  })
})
