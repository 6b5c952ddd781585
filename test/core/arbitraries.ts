import fc from 'fast-check'
import type { BatchHeader } from '../../core/batch.ts'
import type { BlockHeader } from '../../core/block.ts'
import { utf8 } from '../../core/bytes.ts'
import type { Genesis } from '../../core/genesis.ts'
import type { GatewayRegistration } from '../../core/payloads.ts'
import { SOURCES } from '../../core/reading.ts'
import type { StampedRecord } from '../../core/record.ts'
import type { TxBody } from '../../core/transaction.ts'

/** Fixed seed and run counts: a failure reproduces, and the suite's time stays bounded. */
export const PROPS = { seed: 0x57e1e, numRuns: 300 } as const
export const FUZZ = { seed: 0xf022, numRuns: 3000 } as const

export const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
/** u64 values Stele can carry: edge values first, then anything below 2^53. */
export const u64 = fc.oneof(
  fc.constantFrom(0, 1, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc.maxSafeNat(),
)
export const u32 = fc.integer({ min: 0, max: 0xffff_ffff })
export const id = (max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'AZaz09._:-bX7'), minLength: 1, maxLength: max })
/** Any well-formed string of at most `maxBytes` UTF-8 bytes, often starting with U+FEFF (a BOM-stripping decoder trips on it). */
export const text = (maxBytes: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom('', '', '\uFEFF'), fc.string({ unit: 'binary', maxLength: maxBytes }))
    .map(([a, b]) => a + b)
    .filter((s) => utf8(s).length <= maxBytes)

export const record: fc.Arbitrary<StampedRecord> = fc
  .tuple(
    bytes32,
    u64,
    u64,
    u32,
    id(64),
    id(32),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.option(text(16), { nil: undefined }),
    fc.constantFrom(...SOURCES),
    fc.option(u64, { nil: undefined }),
    fc.option(u64, { nil: undefined }),
  )
  .map(([gateway, seq, time, logical, device, sensor, value, unit, source, deviceSeq, deviceTime]) => {
    const r: StampedRecord = { gateway, seq: Math.max(seq, 1), time, logical, device, sensor, value, source }
    if (unit !== undefined) r.unit = unit
    if (deviceSeq !== undefined) r.deviceSeq = deviceSeq
    if (deviceTime !== undefined) r.deviceTime = deviceTime
    return r
  })

export const batchHeader: fc.Arbitrary<BatchHeader> = fc
  .tuple(bytes32, u64, bytes32, u64, u32, u64, u64, bytes32)
  .map(([gateway, seq, prevHash, firstRecordSeq, count, t1, t2, recordsRoot]) => ({
    gateway,
    seq: Math.max(seq, 1),
    prevHash,
    firstRecordSeq: Math.max(firstRecordSeq, 1),
    count: Math.max(count, 1),
    minTime: Math.min(t1, t2),
    maxTime: Math.max(t1, t2),
    recordsRoot,
  }))

export const txBody: fc.Arbitrary<TxBody> = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  chainId: text(64),
  signer: bytes32,
  nonce: u64,
  payload: fc.uint8Array({ maxLength: 300 }),
})

export const blockHeader: fc.Arbitrary<BlockHeader> = fc.record({
  chainId: text(64),
  height: u64.map((h) => Math.max(h, 1)),
  prevHash: bytes32,
  time: u64,
  txRoot: bytes32,
  txCount: u32,
  producer: bytes32,
})

export const registration: fc.Arbitrary<GatewayRegistration> = fc.record({
  gateway: bytes32,
  name: text(64),
  devices: fc.array(id(64), { maxLength: 5 }),
})

export const genesis: fc.Arbitrary<Genesis> = fc.record({
  chainId: text(64),
  time: u64,
  producers: fc.array(bytes32, { minLength: 1, maxLength: 4 }),
  authority: bytes32,
})

/** A valid encoding changed by a few random edits: set a byte, flip bits, insert, delete, truncate, extend. */
export function mutated(samples: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('xor' as const), at: fc.nat(), v: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), v: fc.constant(0) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat(), v: fc.constant(0) }),
    fc.record({
      op: fc.constant('append' as const),
      at: fc.constant(0),
      v: fc.integer({ min: 0, max: 255 }),
    }),
  )
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(edit, { minLength: 1, maxLength: 3 }))
    .map(([s, edits]) => {
      let b = Array.from(s)
      for (const e of edits) {
        const at = b.length === 0 ? 0 : e.at % b.length
        if (e.op === 'set' && b.length > 0) b[at] = e.v
        else if (e.op === 'xor' && b.length > 0) b[at] = b[at]! ^ e.v
        else if (e.op === 'insert') b.splice(at, 0, e.v)
        else if (e.op === 'delete') b.splice(at, 1)
        else if (e.op === 'truncate') b = b.slice(0, at)
        else if (e.op === 'append') b.push(e.v)
      }
      return new Uint8Array(b)
    })
}
