import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BATCH_HEADER_SIZE, decodeBatchHeader, encodeBatchHeader } from '../../core/batch.ts'
import { decodeBlockHeader, encodeBlockHeader } from '../../core/block.ts'
import { ByteWriter, concatBytes, fromHex, toHex, utf8 } from '../../core/bytes.ts'
import { encodeGenesis, genesisFromJson, genesisHash, genesisToJson } from '../../core/genesis.ts'
import { decodeGatewayRegistration, encodeGatewayRegistration } from '../../core/payloads.ts'
import {
  decodeRecord,
  decodeRecordList,
  encodeRecord,
  encodeRecordList,
  type StampedRecord,
} from '../../core/record.ts'
import { decodeTx, encodeTxBody, signTx } from '../../core/transaction.ts'
import * as A from './arbitraries.ts'
import { buildScenario } from './fixtures.ts'
import { decodesOrRefuses, refuses } from './refuses.ts'

const S = buildScenario()

/** A record as decoding gives it back: an empty unit is no unit. */
function normal(r: StampedRecord): StampedRecord {
  const o: StampedRecord = { ...r }
  if (o.unit === '' || o.unit === undefined) delete o.unit
  if (o.deviceSeq === undefined) delete o.deviceSeq
  if (o.deviceTime === undefined) delete o.deviceTime
  return o
}

const reencodeTx = (b: Uint8Array): Uint8Array => {
  const tx = decodeTx(b)
  return concatBytes(encodeTxBody(tx), tx.signature)
}

/** Every binary decoder, with its re-encoder and valid samples to mutate. */
const DECODERS: {
  name: string
  decode: (b: Uint8Array) => unknown
  reencode: (b: Uint8Array) => Uint8Array
  samples: Uint8Array[]
}[] = [
  {
    name: 'decodeRecord',
    decode: decodeRecord,
    reencode: (b) => encodeRecord(decodeRecord(b)),
    samples: S.recordBytes,
  },
  {
    name: 'decodeRecordList',
    decode: (b) => decodeRecordList(b),
    reencode: (b) => encodeRecordList(decodeRecordList(b)),
    samples: S.batches.map((x) => x.records),
  },
  {
    name: 'decodeBatchHeader',
    decode: decodeBatchHeader,
    reencode: (b) => encodeBatchHeader(decodeBatchHeader(b)),
    samples: S.batches.map((x) => x.headerBytes),
  },
  { name: 'decodeTx', decode: decodeTx, reencode: reencodeTx, samples: S.txs.map((t) => t.bytes) },
  {
    name: 'decodeBlockHeader',
    decode: decodeBlockHeader,
    reencode: (b) => encodeBlockHeader(decodeBlockHeader(b)),
    samples: [S.block.header],
  },
  {
    name: 'decodeGatewayRegistration',
    decode: decodeGatewayRegistration,
    reencode: (b) => encodeGatewayRegistration(decodeGatewayRegistration(b)),
    samples: [S.registrationTx.payload],
  },
]

describe('Record', () => {
  it('round-trips any valid record, byte for byte', () => {
    fc.assert(
      fc.property(A.record, (r) => {
        const b = encodeRecord(r)
        expect(b.length).toBeGreaterThanOrEqual(68)
        expect(b.length).toBeLessThanOrEqual(194)
        const d = decodeRecord(b)
        expect(d).toEqual(normal(r))
        expect(toHex(encodeRecord(d))).toBe(toHex(b))
      }),
      A.PROPS,
    )
  })
  it('keeps a unit that starts with U+FEFF', () => {
    const r: StampedRecord = { ...S.records[0]!, unit: '\uFEFF°C' }
    expect(decodeRecord(encodeRecord(r)).unit).toBe('\uFEFF°C')
  })
  it('refuses a unit of at most 16 characters but more than 16 bytes', () => {
    // Written by hand: the encoder refuses to produce it.
    const r = S.records[2]!
    const head = encodeRecord(r)
    const unitAt = head.length - 3 // no unit: ... unit.length(00) source flags
    const unit = utf8('é'.repeat(9)) // 9 characters, 18 bytes
    const b = concatBytes(
      head.subarray(0, unitAt),
      Uint8Array.of(unit.length),
      unit,
      head.subarray(unitAt + 1),
    )
    refuses(() => decodeRecord(b), /unit/)
    refuses(() => encodeRecord({ ...r, unit: 'é'.repeat(9) }), /unit/)
  })
  it('refuses what the encoder would refuse', () => {
    const r = S.records[0]!
    refuses(() => encodeRecord({ ...r, device: '' }))
    refuses(() => encodeRecord({ ...r, device: 'a b' }))
    refuses(() => encodeRecord({ ...r, device: 'x'.repeat(65) }))
    refuses(() => encodeRecord({ ...r, sensor: 'x'.repeat(33) }))
    refuses(() => encodeRecord({ ...r, value: Number.NaN }))
    refuses(() => encodeRecord({ ...r, value: Number.POSITIVE_INFINITY }))
    refuses(() => encodeRecord({ ...r, gateway: new Uint8Array(31) }))
    refuses(() => encodeRecord({ ...r, seq: 2 ** 53 }))
    refuses(() => encodeRecord({ ...r, source: 'carrier-pigeon' as StampedRecord['source'] }))
  })
  it('refuses bad versions, sources, flags, values, ids and trailing bytes', () => {
    const good = S.recordBytes[0]!
    const at = (i: number, v: number): Uint8Array => {
      const b = new Uint8Array(good)
      b[i] = v
      return b
    }
    // Offsets of record-1: device at 53 (len 8), sensor at 62 (len 4), value at 67, unit at 75 (len 1), source 77, flags 78.
    refuses(() => decodeRecord(at(0, 2)), /version/)
    refuses(() => decodeRecord(at(54, 0x20)), /device/)
    refuses(() => decodeRecord(at(53, 0)), /device|truncated/)
    refuses(() => decodeRecord(at(67, 0x7f).map((v, i) => (i === 68 ? 0xf0 : v))), /finite/)
    refuses(() => decodeRecord(at(77, 5)), /source/)
    refuses(() => decodeRecord(at(78, 7)), /flags/)
    refuses(() => decodeRecord(concatBytes(good, Uint8Array.of(0))), /trailing/)
    refuses(() => decodeRecord(good.subarray(0, good.length - 1)), /truncated at deviceTime/)
  })
})

describe('record list', () => {
  it('round-trips and refuses more than the limit without reading further', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (list) => {
        const d = decodeRecordList(encodeRecordList(list))
        expect(d.map(toHex)).toEqual(list.map(toHex))
      }),
      A.PROPS,
    )
    refuses(() => decodeRecordList(fromHex('00002711')), /10001 records exceeds 10000/)
    refuses(() => decodeRecordList(fromHex('00000003'), 2), /exceeds 2/)
    refuses(() => decodeRecordList(fromHex('00002710ffff')), /truncated at record 0/)
    refuses(() => decodeRecordList(fromHex('000000010003aabb')), /truncated at record 0 \(/)
    refuses(() => decodeRecordList(fromHex('0000000100')), /truncated at record 0 length/)
    refuses(() => decodeRecordList(fromHex('000000010001aa00')), /1 trailing bytes/)
  })

  it('reads a list that is a view into a larger buffer', () => {
    const list = encodeRecordList([Uint8Array.of(1, 2), Uint8Array.of(3)])
    const outer = new Uint8Array(list.length + 10).fill(0xee)
    outer.set(list, 5)
    const d = decodeRecordList(outer.subarray(5, 5 + list.length))
    expect(d.map(toHex)).toEqual(['0102', '03'])
  })
})

describe('BatchHeader', () => {
  it('round-trips, is 133 bytes', () => {
    fc.assert(
      fc.property(A.batchHeader, (h) => {
        const b = encodeBatchHeader(h)
        expect(b.length).toBe(BATCH_HEADER_SIZE)
        expect(BATCH_HEADER_SIZE).toBe(133)
        expect(decodeBatchHeader(b)).toEqual(h)
      }),
      A.PROPS,
    )
  })
  it('refuses seq 0, an empty batch, inverted times', () => {
    const h = S.batches[0]!.header
    refuses(() => decodeBatchHeader(encodeBatchHeader({ ...h, seq: 0 })), /seq starts at 1/)
    refuses(() => decodeBatchHeader(encodeBatchHeader({ ...h, count: 0 })), /empty/)
    refuses(() => decodeBatchHeader(encodeBatchHeader({ ...h, minTime: h.maxTime + 1 })), /minTime/)
    refuses(() => encodeBatchHeader({ ...h, recordsRoot: new Uint8Array(31) }))
  })
})

describe('Transaction', () => {
  it('round-trips body and signature; hash is SHA-256 of all bytes', () => {
    const key = S.keys.gateway
    fc.assert(
      fc.property(A.txBody, (body) => {
        const tx = signTx(body, key.secretKey)
        const d = decodeTx(tx.bytes)
        expect(toHex(d.body)).toBe(toHex(tx.body))
        expect(toHex(d.signature)).toBe(toHex(tx.signature))
        expect(toHex(d.hash)).toBe(toHex(tx.hash))
        expect({ type: d.type, chainId: d.chainId, nonce: d.nonce }).toEqual({
          type: body.type,
          chainId: body.chainId,
          nonce: body.nonce,
        })
        expect(toHex(d.payload)).toBe(toHex(body.payload))
        expect(toHex(reencodeTx(tx.bytes))).toBe(toHex(tx.bytes))
      }),
      { ...A.PROPS, numRuns: 100 },
    )
  })
  it('refuses a chainId over 64 bytes on both sides', () => {
    const tx = S.registrationTx
    refuses(() => encodeTxBody({ ...tx, chainId: 'c'.repeat(65) }))
    const long = utf8('c'.repeat(65))
    const b = concatBytes(
      tx.bytes.subarray(0, 2),
      Uint8Array.of(65),
      long,
      tx.bytes.subarray(3 + tx.chainId.length),
    )
    refuses(() => decodeTx(b), /chainId/)
  })
  it('refuses an oversized payload length before reading it', () => {
    const tx = S.registrationTx
    const at = 3 + tx.chainId.length + 32 + 8
    const b = new Uint8Array(tx.bytes)
    new DataView(b.buffer).setUint32(at, 65_537)
    refuses(() => decodeTx(b), /payload length 65537 exceeds 65536/)
  })
})

describe('BlockHeader', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(A.blockHeader, (h) => {
        expect(decodeBlockHeader(encodeBlockHeader(h))).toEqual(h)
      }),
      A.PROPS,
    )
  })
  it('refuses a chainId over 64 bytes on both sides', () => {
    const h = S.block
    refuses(() => encodeBlockHeader({ ...h, chainId: 'c'.repeat(65) }))
    const long = utf8('c'.repeat(65))
    const b = concatBytes(
      h.header.subarray(0, 1),
      Uint8Array.of(65),
      long,
      h.header.subarray(2 + h.chainId.length),
    )
    refuses(() => decodeBlockHeader(b), /chainId/)
  })
})

describe('GatewayRegistration', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(A.registration, (p) => {
        expect(decodeGatewayRegistration(encodeGatewayRegistration(p))).toEqual(p)
      }),
      A.PROPS,
    )
  })
  it('refuses a name over 64 bytes and bad device ids on both sides', () => {
    const p = S.registration
    refuses(() => encodeGatewayRegistration({ ...p, name: 'n'.repeat(65) }))
    refuses(() => encodeGatewayRegistration({ ...p, devices: ['no spaces'] }))
    const w = (name: string, devices: string[]): Uint8Array => {
      const wr = new ByteWriter().bytes(p.gateway).str8(name, 'name').u16(devices.length)
      for (const d of devices) wr.str8(d, 'device')
      return wr.finish()
    }
    expect(decodeGatewayRegistration(w('n'.repeat(64), ['a']))).toEqual({
      ...p,
      name: 'n'.repeat(64),
      devices: ['a'],
    })
    refuses(() => decodeGatewayRegistration(w('n'.repeat(65), [])), /name/)
    refuses(() => decodeGatewayRegistration(w('ok', ['no spaces'])), /device/)
    refuses(() => decodeGatewayRegistration(w('ok', [''])), /device/)
  })
})

describe('Genesis', () => {
  it('round-trips through JSON, and the JSON hash is checked', () => {
    fc.assert(
      fc.property(A.genesis, (g) => {
        const j = genesisToJson(g)
        expect(genesisFromJson(JSON.parse(JSON.stringify(j)))).toEqual(g)
        expect(j.hash).toBe(toHex(genesisHash(g)))
        refuses(() => genesisFromJson({ ...j, time: j.time > 0 ? j.time - 1 : 1 }), /hash does not match/)
      }),
      { ...A.PROPS, numRuns: 100 },
    )
  })
  it('refuses a genesis it could not hash, with or without a hash field', () => {
    const j = genesisToJson(S.genesis)
    const { hash: _h, ...bare } = j
    for (const bad of [
      { ...bare, time: -1 },
      { ...bare, time: 1.5 },
      { ...bare, time: 2 ** 53 },
      { ...bare, time: Number.NaN },
      { ...bare, chainId: 'c'.repeat(65) },
    ]) {
      refuses(() => genesisFromJson(bad))
      refuses(() => genesisFromJson({ ...bad, hash: j.hash }))
    }
  })
  it('refuses missing fields, no producers and keys that are not 32 bytes of hex', () => {
    const j = genesisToJson(S.genesis)
    for (const bad of [null, 1, 'genesis', [], {}, { ...j, producers: [] }, { ...j, producers: ['00'] }])
      refuses(() => genesisFromJson(bad))
    refuses(() => genesisFromJson({ ...j, authority: 'zz'.repeat(32) }))
    refuses(() => genesisFromJson({ ...j, hash: j.hash?.toUpperCase() }), /hash/)
    expect(() => encodeGenesis(S.genesis)).not.toThrow()
  })
})

describe('every decoder, given arbitrary bytes', () => {
  for (const d of DECODERS) {
    it(`${d.name} returns or throws STELE_BAD_ENCODING, never anything else`, () => {
      const input = fc.oneof(fc.uint8Array({ maxLength: 400 }), A.mutated(d.samples), A.mutated(d.samples))
      fc.assert(
        fc.property(input, (b) => {
          decodesOrRefuses(() => d.decode(b))
        }),
        A.FUZZ,
      )
    })
    it(`${d.name}: whatever it accepts re-encodes to the same bytes (canonical)`, () => {
      for (const s of d.samples) expect(toHex(d.reencode(s))).toBe(toHex(s))
      fc.assert(
        fc.property(A.mutated(d.samples), (b) => {
          if (decodesOrRefuses(() => d.decode(b))) expect(toHex(d.reencode(b))).toBe(toHex(b))
        }),
        A.FUZZ,
      )
    })
  }
  it('genesisFromJson returns or throws STELE_BAD_ENCODING on any JSON value', () => {
    const j = genesisToJson(S.genesis)
    const field = <T>(good: T): fc.Arbitrary<unknown> =>
      fc.oneof({ weight: 3, arbitrary: fc.constant(good) }, fc.jsonValue())
    const near = fc.record({
      chainId: field(j.chainId),
      time: field(j.time),
      producers: fc.oneof(
        field(j.producers),
        fc.array(fc.oneof(fc.stringMatching(/^[0-9a-f]{0,66}$/), fc.jsonValue())),
      ),
      authority: field(j.authority),
      hash: fc.option(field(j.hash), { nil: undefined }),
    })
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), near), (v) => {
        if (decodesOrRefuses(() => genesisFromJson(v))) {
          // Whatever it accepts it can hash and round-trip.
          const g = genesisFromJson(v)
          expect(genesisFromJson(genesisToJson(g))).toEqual(g)
        }
      }),
      A.FUZZ,
    )
  })
})
