import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { decodeBatchHeader } from '../../core/batch.ts'
import { generateKeyPair } from '../../core/ed25519.ts'
import { isSteleError } from '../../core/errors.ts'
import type { Reading } from '../../core/reading.ts'
import { decodeTx, verifyTxSignature } from '../../core/transaction.ts'
import { Batcher, type BatchOptions } from '../../gateway/batcher.ts'
import { createHlc } from '../../gateway/hlc.ts'
import { Outbox, type SequenceState } from '../../gateway/outbox.ts'
import { tempDir } from '../helpers/tmp.ts'
import { settle } from '../helpers/wait.ts'
import { FakeNode } from './helpers/fake-node.ts'
import { ManualTimers } from './helpers/manual-timers.ts'

const fresh: SequenceState = {
  chainId: 'test-chain',
  batchSeq: 0,
  recordSeq: 0,
  prevHash: '0'.repeat(64),
  hlc: { time: 0, logical: 0 },
}
const reading = (deviceSeq: number, value = 20 + deviceSeq / 10, device = 'dev-1'): Reading => ({
  device,
  sensor: 'temp',
  value,
  unit: 'C',
  deviceSeq,
  deviceTime: 1_700_000_000_000 + deviceSeq,
  source: 'mqtt',
})

describe('batcher', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let outbox: Outbox
  const key = generateKeyPair()
  let wall: number
  let timers: ManualTimers

  async function make(opts: BatchOptions & { maxBatches?: number } = {}) {
    outbox = await Outbox.open({ path: join(dir.path, 'outbox'), maxBatches: opts.maxBatches ?? 1000 })
    const hlc = createHlc({ now: () => wall })
    return new Batcher({
      key,
      outbox,
      state: fresh,
      hlc,
      timers,
      maxRecords: 3,
      maxDelayMs: 50,
      sealWorker: false, // sealing in step with the test's settle(); test/gateway/sealer.test.ts covers the worker
      ...opts,
    })
  }

  beforeEach(async () => {
    dir = await tempDir('stele-batcher-')
    wall = 1_700_000_000_000
    timers = new ManualTimers()
  })
  afterEach(async () => {
    await outbox.close()
    await dir.cleanup()
  })

  it('seals at maxRecords without waiting for the timer', async () => {
    const b = await make()
    await b.push([reading(1), reading(2), reading(3)])
    expect(outbox.depth().batches).toBe(1)
    expect(b.stats()).toMatchObject({ stamped: 3, sealed: 1, pending: 0, lastRecordSeq: 3, lastBatchSeq: 1 })
  })

  it('seals a partial batch at maxDelayMs, and only then resolves the push', async () => {
    const b = await make()
    let resolved = false
    const p = b.push([reading(1), reading(2)]).then(() => {
      resolved = true
    })
    await settle()
    expect(resolved).toBe(false)
    expect(outbox.depth().batches).toBe(0)
    timers.advance(49)
    await settle()
    expect(resolved).toBe(false)
    timers.advance(1)
    await p
    expect(outbox.depth().batches).toBe(1)
    expect(b.stats().pending).toBe(0)
    expect(timers.pending).toBe(0)
  })

  it('writes a chain the node accepts: signed, linked, contiguous record seqs, device seq/time kept', async () => {
    const b = await make()
    const node = new FakeNode({ register: [key.publicKey] })
    const readings = Array.from({ length: 8 }, (_, i) => reading(i + 100))
    const pushed = b.push(readings.slice(0, 5))
    wall -= 60_000 // the wall clock is stepped back mid-stream
    const pushed2 = b.push(readings.slice(5))
    // the first full batch goes at once; the rest arrived during its write, so they are sealed as soon as it ends
    await Promise.all([pushed, pushed2])
    const entries = await outbox.peek(100)
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3])
    for (const e of entries) expect(verifyTxSignature(decodeTx(e.tx))).toBe(true)
    expect(entries.map((e) => decodeBatchHeader(decodeTx(e.tx).payload).count)).toEqual([3, 3, 2])
    await node.submitBatches(entries) // checks seq, prevHash, first record seq, root, times
    expect(node.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(node.records.map((r) => r.deviceSeq)).toEqual(readings.map((r) => r.deviceSeq))
    expect(node.records.map((r) => r.deviceTime)).toEqual(readings.map((r) => r.deviceTime))
    const times = node.records.map((r) => [r.time, r.logical] as const)
    for (let i = 1; i < times.length; i++) {
      const [t0, l0] = times[i - 1]!
      const [t1, l1] = times[i]!
      expect(t1 > t0 || (t1 === t0 && l1 > l0)).toBe(true)
    }
  })

  it('seals readings that arrived during a write as soon as it ends, without waiting out the delay', async () => {
    const b = await make({ maxRecords: 2, eagerRecords: 1000 })
    const first = b.push([reading(1), reading(2)]) // a full batch: its write is now on its way
    const during = b.push([reading(3)])
    await Promise.all([first, during]) // no timer advanced: the second batch did not wait for the delay
    expect(b.stats()).toMatchObject({ sealed: 2, pending: 0, lastRecordSeq: 3 })
    // two small writes: no load, so the next reading waits for the delay again
    let late = false
    const next = b.push([reading(4)]).then(() => {
      late = true
    })
    await settle()
    expect(late).toBe(false)
    timers.advance(50)
    await next
  })

  it('after a busy write, seals the next readings on the next turn instead of after the delay', async () => {
    const b = await make({ maxRecords: 1000, eagerRecords: 3 })
    const busy = b.push([reading(1), reading(2), reading(3)])
    timers.advance(50)
    await busy // a write of 3 records (eagerRecords): load
    await b.push([reading(4)]) // sealed without advancing the timers
    expect(b.stats()).toMatchObject({ sealed: 2, lastRecordSeq: 4 })
    expect(timers.pending).toBe(0)
  })

  it('once it has caught up after a busy write, lets the event loop sleep instead of re-arming a seal every turn', async () => {
    const b = await make({ maxRecords: 1000, eagerRecords: 3 })
    const busy = b.push([reading(1), reading(2), reading(3)])
    timers.advance(50)
    await busy // a write of 3 records: load, the next readings are sealed on the next turn
    await settle()
    // Nothing waits: no setImmediate may stay queued (it kept a core busy polling between bursts under load).
    expect(process.getActiveResourcesInfo()).not.toContain('Immediate')
    await b.push([reading(4)]) // still sealed on the next turn, without the delay
    expect(b.stats()).toMatchObject({ sealed: 2, lastRecordSeq: 4 })
    expect(timers.pending).toBe(0)
  })

  it('drops a resent reading, counts it, and acknowledges it only once the original is durable', async () => {
    const b = await make()
    let firstDone = false
    let repeatDone = false
    const first = b.push([reading(7)]).then(() => {
      firstDone = true
    })
    const repeat = b.push([reading(7)]).then(() => {
      repeatDone = true
    })
    await settle()
    expect(firstDone || repeatDone).toBe(false) // the original is not on disk yet, so neither is acked
    timers.advance(50)
    await Promise.all([first, repeat])
    expect(b.stats()).toMatchObject({ stamped: 1, duplicates: 1 })
    await b.push([reading(7)]) // original on disk: resolves at once
    expect(b.stats()).toMatchObject({ stamped: 1, duplicates: 2 })
    // same seq with other content is a device that restarted its counter: kept
    const reused = b.push([reading(7, 99.5)])
    timers.advance(50)
    await reused
    expect(b.stats().stamped).toBe(2)
    expect(b.dedupe.stats().seqReuse).toBe(1)
  })

  it('refuses an invalid reading before stamping anything', async () => {
    const b = await make()
    const bad = { ...reading(1), device: 'has space' }
    const err = await b.push([reading(2), bad]).catch((e) => e)
    expect(isSteleError(err, 'STELE_BAD_REQUEST')).toBe(true)
    expect(b.stats().stamped).toBe(0)
  })

  it('applies backpressure when the outbox is full, and resumes when the node drains it', async () => {
    const b = await make({ maxRecords: 2, maxPendingRecords: 2, maxBatches: 1 })
    await b.push([reading(1), reading(2)]) // batch 1 fills the outbox
    let secondDone = false
    const second = b.push([reading(3), reading(4)]).then(() => {
      secondDone = true
    })
    let thirdStamped = false
    const third = b.push([reading(5)]).then(() => {
      thirdStamped = true
    })
    await settle()
    expect(b.stats()).toMatchObject({ blocked: true, stamped: 4, pending: 2 }) // third waits before stamping
    expect(secondDone).toBe(false)
    expect(thirdStamped).toBe(false)
    await outbox.remove(1) // the submitter got batch 1 accepted
    await second
    expect(outbox.depth()).toMatchObject({ batches: 1, firstSeq: 2 })
    await outbox.remove(2)
    await settle()
    expect(b.stats().stamped).toBe(5)
    timers.advance(50)
    await third
    expect(b.stats()).toMatchObject({ sealed: 3, blocked: false })
  })

  it('stop() seals what is pending at once and refuses new readings', async () => {
    const b = await make()
    const p = b.push([reading(1)])
    await b.stop()
    await p
    expect(outbox.depth().batches).toBe(1)
    const err = await b.push([reading(2)]).catch((e) => e)
    expect(isSteleError(err, 'STELE_UNAVAILABLE')).toBe(true)
  })
})
