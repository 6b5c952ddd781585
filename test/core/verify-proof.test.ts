import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ZERO_HASH } from '../../core/batch.ts'
import { encodeBlockHeader, signBlockHeader } from '../../core/block.ts'
import { fromHex, toHex, utf8 } from '../../core/bytes.ts'
import { keyPairFromSeed, signMessage } from '../../core/ed25519.ts'
import { type Genesis, genesisHash, genesisToJson } from '../../core/genesis.ts'
import { sha256 } from '../../core/hash.ts'
import type { ProofBundle } from '../../core/proof.ts'
import { decodeRecord } from '../../core/record.ts'
import { sealBatch } from '../../core/seal.ts'
import protocol from '../../core/vectors/protocol.json' with { type: 'json' }
import { type CheckName, verifyProof } from '../../core/verify-proof.ts'
import { FUZZ } from './arbitraries.ts'
import { buildScenario, PROOF_RECORD } from './fixtures.ts'
import { failsAt, ORDER } from './proof-checks.ts'
import type { ProtocolVectors } from './vectors-lib.ts'

const S = buildScenario()
const V = protocol as unknown as ProtocolVectors
function flipHex(hex: string, i: number, mask: number): string {
  const b = fromHex(hex)
  b[i] = b[i]! ^ mask
  return toHex(b)
}

/** Byte offset → field name, from a vector's field table (the documented layout). */
function fieldAt(id: string): (i: number) => string {
  const v = V.encodings.find((e) => e.id === id)!
  const spans: [number, number, string][] = []
  let off = 0
  for (const [name, h] of v.fields) {
    spans.push([off, off + h.length / 2, name])
    off += h.length / 2
  }
  return (i) => spans.find(([a, z]) => i >= a && i < z)![2]
}

const MASKS = [0x01, 0xff]

describe('verifyProof on a real bundle', () => {
  it('verifies, with every check passed in the documented order', () => {
    const r = verifyProof(S.bundle, S.genesis)
    expect(r.ok).toBe(true)
    expect(r.checks.map((c) => c.name)).toEqual(ORDER)
    expect(r.checks.every((c) => c.ok)).toBe(true)
    expect(r.record).toEqual(decodeRecord(S.recordBytes[PROOF_RECORD]!))
    expect(r.block).toEqual({ height: 1, time: S.block.time, hash: toHex(S.block.hash) })
    expect(r.error).toBeUndefined()
  })

  it('without a trusted genesis, passes and says it trusted the one inside', () => {
    const r = verifyProof(S.bundle)
    expect(r.ok).toBe(true)
    expect(r.checks[1]!.message).toMatch(/no trusted genesis/)
  })

  it('survives a JSON round trip and ignores the informational reading', () => {
    const b = JSON.parse(
      JSON.stringify({ ...S.bundle, reading: { value: 'anything' }, extra: 1 }),
    ) as ProofBundle
    expect(verifyProof(b, S.genesis).ok).toBe(true)
    expect(verifyProof({ ...S.bundle, record: S.bundle.record.toUpperCase() }, S.genesis).ok).toBe(true)
  })
})

describe('changing any single byte makes the proof fail, at the check for that part', () => {
  const seen = new Map<string, Set<CheckName>>()
  const note = (region: string, c: CheckName): void => {
    if (!seen.has(region)) seen.set(region, new Set())
    seen.get(region)!.add(c)
  }

  it('record bytes → record.decode, record.gateway or record.inclusion', () => {
    const field = fieldAt('record-2')
    const allowed: { [f: string]: CheckName[] } = {
      version: ['record.decode'],
      gateway: ['record.gateway'],
      seq: ['record.decode', 'record.gateway'],
      time: ['record.decode', 'record.gateway', 'record.inclusion'],
      logical: ['record.inclusion'],
      flags: ['record.decode'],
    }
    const n = fromHex(S.bundle.record).length
    for (let i = 0; i < n; i++)
      for (const m of MASKS) {
        const f = field(i)
        const r = verifyProof({ ...S.bundle, record: flipHex(S.bundle.record, i, m) }, S.genesis)
        note(
          'record',
          failsAt(r, allowed[f] ?? ['record.decode', 'record.inclusion'], `record byte ${i} (${f}) ^ ${m}`),
        )
      }
    expect([...seen.get('record')!].sort()).toEqual(['record.decode', 'record.gateway', 'record.inclusion'])
  })

  it('each record path hash → record.inclusion', () => {
    S.bundle.recordPath.forEach((p, j) => {
      for (let i = 0; i < 32; i++)
        for (const m of MASKS) {
          const path = S.bundle.recordPath.slice()
          path[j] = flipHex(p, i, m)
          failsAt(
            verifyProof({ ...S.bundle, recordPath: path }, S.genesis),
            ['record.inclusion'],
            `path ${j} byte ${i}`,
          )
        }
    })
  })

  it('batch transaction: header and body → batch.decode … batch.signature; signature → batch.signature', () => {
    const txField = fieldAt('tx-record-batch-1')
    const hdrField = fieldAt('batch-header-1')
    const payloadAt = V.encodings
      .find((e) => e.id === 'tx-record-batch-1')!
      .fields.slice(0, 7)
      .reduce((a, [, h]) => a + h.length / 2, 0)
    const allowed: { [f: string]: CheckName[] } = {
      version: ['batch.decode'],
      type: ['batch.decode'],
      'chainId.length': ['batch.decode'],
      chainId: ['batch.decode'],
      signer: ['record.gateway'],
      nonce: ['batch.decode'],
      'payload.length': ['batch.decode'],
      'header.version': ['batch.decode'],
      'header.gateway': ['record.gateway'],
      'header.seq': ['batch.decode'],
      'header.prevHash': ['batch.signature'],
      'header.firstRecordSeq': ['batch.decode', 'record.gateway'],
      'header.count': ['batch.decode', 'record.gateway', 'record.inclusion', 'batch.signature'],
      'header.minTime': ['batch.decode', 'record.gateway', 'batch.signature'],
      'header.maxTime': ['batch.decode', 'record.gateway', 'batch.signature'],
      'header.recordsRoot': ['record.inclusion'],
      signature: ['batch.signature'],
    }
    const n = fromHex(S.bundle.batchTx).length
    for (let i = 0; i < n; i++)
      for (const m of MASKS) {
        let f = txField(i)
        if (f === 'payload') f = `header.${hdrField(i - payloadAt)}`
        const r = verifyProof({ ...S.bundle, batchTx: flipHex(S.bundle.batchTx, i, m) }, S.genesis)
        const name = failsAt(r, allowed[f]!, `batchTx byte ${i} (${f}) ^ ${m}`)
        note(f === 'signature' ? 'batch signature' : 'batch', name)
      }
    expect([...seen.get('batch')!].sort()).toEqual([
      'batch.decode',
      'batch.signature',
      'record.gateway',
      'record.inclusion',
    ])
    expect([...seen.get('batch signature')!]).toEqual(['batch.signature'])
  })

  it('each transaction path hash → tx.inclusion', () => {
    S.bundle.txPath.forEach((p, j) => {
      for (let i = 0; i < 32; i++)
        for (const m of MASKS) {
          const path = S.bundle.txPath.slice()
          path[j] = flipHex(p, i, m)
          failsAt(
            verifyProof({ ...S.bundle, txPath: path }, S.genesis),
            ['tx.inclusion'],
            `txPath ${j} byte ${i}`,
          )
        }
    })
  })

  it('block header → block.decode, tx.inclusion, block.producer or block.signature', () => {
    const field = fieldAt('block-header-1')
    const allowed: { [f: string]: CheckName[] } = {
      version: ['block.decode'],
      'chainId.length': ['block.decode'],
      chainId: ['block.decode'],
      height: ['block.decode', 'block.signature'],
      prevHash: ['block.signature'],
      time: ['block.decode', 'block.signature'],
      txRoot: ['tx.inclusion'],
      txCount: ['tx.inclusion', 'block.signature'],
      producer: ['block.producer'],
    }
    const n = fromHex(S.bundle.blockHeader).length
    for (let i = 0; i < n; i++)
      for (const m of MASKS) {
        const f = field(i)
        const r = verifyProof({ ...S.bundle, blockHeader: flipHex(S.bundle.blockHeader, i, m) }, S.genesis)
        note('block', failsAt(r, allowed[f]!, `blockHeader byte ${i} (${f}) ^ ${m}`))
      }
    expect([...seen.get('block')!].sort()).toEqual([
      'block.decode',
      'block.producer',
      'block.signature',
      'tx.inclusion',
    ])
  })

  it('block signature → block.signature', () => {
    for (let i = 0; i < 64; i++)
      for (const m of MASKS)
        failsAt(
          verifyProof({ ...S.bundle, blockSignature: flipHex(S.bundle.blockSignature, i, m) }, S.genesis),
          ['block.signature'],
          `blockSignature byte ${i}`,
        )
  })
})

describe('other ways a bundle can be wrong', () => {
  const other = keyPairFromSeed(sha256(utf8('mallory')))

  it('a trusted genesis that differs fails genesis.trusted', () => {
    const variants: Genesis[] = [
      { ...S.genesis, producers: [other.publicKey] },
      { ...S.genesis, chainId: 'another-chain' },
      { ...S.genesis, time: S.genesis.time + 1 },
      { ...S.genesis, authority: other.publicKey },
      { ...S.genesis, producers: [...S.genesis.producers, other.publicKey] },
    ]
    for (const g of variants)
      failsAt(verifyProof(S.bundle, g), ['genesis.trusted'], JSON.stringify(genesisToJson(g)))
  })

  it('a trusted genesis that does not read fails genesis.trusted, never throws', () => {
    const { hash: _h, ...bare } = S.bundle.genesis
    const broken: [string, Parameters<typeof verifyProof>[1]][] = [
      ['not JSON', '{"chainId":'],
      ['JSON, not a genesis', '[1,2,3]'],
      ['no producers', { ...bare, producers: [] }],
      ['a producer of 31 bytes', { ...bare, producers: [S.bundle.genesis.producers[0]!.slice(2)] }],
      ['a hash that is not its own', { ...bare, hash: '00'.repeat(32) }],
      ['time not an integer', JSON.stringify({ ...bare, time: 1.5 })],
      ['decoded, with an authority of 31 bytes', { ...S.genesis, authority: new Uint8Array(31) }],
    ]
    for (const [what, t] of broken) {
      const r = verifyProof(S.bundle, t)
      failsAt(r, ['genesis.trusted'], what)
      expect(r.error, what).toMatch(/^genesis\.trusted: the trusted genesis does not read: /)
    }
    // The same genesis given decoded, as JSON or as JSON text: all pass.
    for (const t of [S.genesis, S.bundle.genesis, bare, JSON.stringify(S.bundle.genesis)])
      expect(verifyProof(S.bundle, t).ok).toBe(true)
  })

  it('a forged chain passes only when the verifier trusts the forger’s genesis', () => {
    const fakeGenesis: Genesis = { ...S.genesis, producers: [other.publicKey] }
    const header = { ...S.block, producer: other.publicKey, prevHash: genesisHash(fakeGenesis) }
    const forged = signBlockHeader(header, other.secretKey)
    const bundle: ProofBundle = {
      ...S.bundle,
      blockHeader: toHex(forged.header),
      blockSignature: toHex(forged.signature),
      genesis: genesisToJson(fakeGenesis),
    }
    expect(verifyProof(bundle).ok).toBe(true)
    failsAt(verifyProof(bundle, S.genesis), ['genesis.trusted'], 'forged genesis')
    // Keeping the real genesis but a forger's block: the producer is unknown.
    failsAt(
      verifyProof({ ...bundle, genesis: S.bundle.genesis }, S.genesis),
      ['block.producer'],
      'forged block',
    )
  })

  it('a bundle genesis edited without its hash, or with a stale hash', () => {
    const { hash: _h, ...bare } = S.bundle.genesis
    const edited = { ...bare, producers: [toHex(other.publicKey)] }
    failsAt(verifyProof({ ...S.bundle, genesis: edited }), ['block.producer'], 'edited, no hash')
    failsAt(
      verifyProof({ ...S.bundle, genesis: { ...edited, hash: S.bundle.genesis.hash! } }),
      ['bundle.format'],
      'stale hash',
    )
    failsAt(verifyProof({ ...S.bundle, genesis: edited }, S.genesis), ['genesis.trusted'], 'edited, trusted')
  })

  it('an unencodable genesis in the bundle fails bundle.format, never throws', () => {
    const { hash: _h, ...bare } = S.bundle.genesis
    for (const g of [
      { ...bare, time: -1 },
      { ...bare, time: 0.5 },
      { ...bare, chainId: 'x'.repeat(65) },
    ]) {
      failsAt(verifyProof({ ...S.bundle, genesis: g }, S.genesis), ['bundle.format'], JSON.stringify(g))
      failsAt(verifyProof({ ...S.bundle, genesis: g }), ['bundle.format'], JSON.stringify(g))
    }
  })

  it('wrong indices, another batch’s record, the wrong transaction', () => {
    failsAt(verifyProof({ ...S.bundle, recordIndex: 0 }, S.genesis), ['record.gateway'], 'recordIndex 0')
    failsAt(verifyProof({ ...S.bundle, recordIndex: 2 }, S.genesis), ['record.gateway'], 'recordIndex 2')
    failsAt(verifyProof({ ...S.bundle, txIndex: 0 }, S.genesis), ['tx.inclusion'], 'txIndex 0')
    failsAt(verifyProof({ ...S.bundle, txIndex: 2 }, S.genesis), ['tx.inclusion'], 'txIndex 2')
    failsAt(verifyProof({ ...S.bundle, txIndex: 3 }, S.genesis), ['tx.inclusion'], 'txIndex 3')
    failsAt(
      verifyProof({ ...S.bundle, record: toHex(S.recordBytes[5]!), recordIndex: 0 }, S.genesis),
      ['record.gateway'],
      'record 6 with batch 1',
    )
    const r3 = toHex(S.recordBytes[2]!)
    failsAt(
      verifyProof({ ...S.bundle, record: r3, recordIndex: 2 }, S.genesis),
      ['record.inclusion'],
      'record 3 on record 2’s path',
    )
    failsAt(
      verifyProof({ ...S.bundle, batchTx: toHex(S.registrationTx.bytes) }, S.genesis),
      ['batch.decode'],
      'registration tx',
    )
    failsAt(
      verifyProof({ ...S.bundle, batchTx: toHex(S.batches[1]!.tx.bytes) }, S.genesis),
      ['record.gateway'],
      'batch 2',
    )
  })

  it('a batch or block of another chain', () => {
    const k = S.keys
    const b = sealBatch({
      chainId: 'elsewhere',
      gateway: k.gateway,
      seq: 1,
      prevHash: ZERO_HASH,
      records: S.recordBytes.slice(0, 5),
      firstRecordSeq: 1,
      minTime: S.records[0]!.time,
      maxTime: S.records[4]!.time,
    })
    failsAt(verifyProof({ ...S.bundle, batchTx: toHex(b.tx.bytes) }, S.genesis), ['batch.decode'], 'tx chain')
    const blk = signBlockHeader({ ...S.block, chainId: 'elsewhere' }, k.producer.secretKey)
    failsAt(
      verifyProof(
        { ...S.bundle, blockHeader: toHex(blk.header), blockSignature: toHex(blk.signature) },
        S.genesis,
      ),
      ['block.decode'],
      'block chain',
    )
  })

  it('signatures do not cross domains: a block header signed as a transaction, or with no domain, fails', () => {
    const header = encodeBlockHeader(S.block)
    const asTx = signMessage(new Uint8Array([...utf8('stele:tx:v1'), ...header]), S.keys.producer.secretKey)
    const raw = signMessage(header, S.keys.producer.secretKey)
    for (const sig of [asTx, raw, S.batches[0]!.tx.signature])
      failsAt(
        verifyProof({ ...S.bundle, blockSignature: toHex(sig) }, S.genesis),
        ['block.signature'],
        'cross-domain',
      )
  })

  it('malformed bundles fail bundle.format', () => {
    const bad: unknown[] = [
      null,
      undefined,
      42,
      'stele-proof/1',
      {},
      { ...S.bundle, format: 'stele-proof/2' },
      { ...S.bundle, record: 'xyz' },
      { ...S.bundle, record: 42 },
      { ...S.bundle, recordIndex: -1 },
      { ...S.bundle, recordIndex: 1.5 },
      { ...S.bundle, recordIndex: '1' },
      { ...S.bundle, txIndex: 2 ** 53 },
      { ...S.bundle, recordPath: 'abc' },
      { ...S.bundle, recordPath: [...S.bundle.recordPath, '00'] },
      { ...S.bundle, txPath: [S.bundle.txPath[0]!.slice(2)] },
      { ...S.bundle, blockSignature: S.bundle.blockSignature.slice(2) },
      { ...S.bundle, blockHeader: null },
      { ...S.bundle, genesis: undefined },
      { ...S.bundle, genesis: { ...S.bundle.genesis, producers: [] } },
      { ...S.bundle, genesis: { ...S.bundle.genesis, hash: S.bundle.genesis.hash!.toUpperCase() } },
    ]
    for (const b of bad)
      failsAt(
        verifyProof(b as ProofBundle, S.genesis),
        ['bundle.format'],
        JSON.stringify(b)?.slice(0, 80) ?? 'undefined',
      )
  })

  it('any JSON put in any field returns a result, never throws', () => {
    const keys = Object.keys(S.bundle) as (keyof ProofBundle)[]
    const arb = fc.tuple(
      fc.subarray(keys, { minLength: 1, maxLength: 3 }),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 3, maxLength: 3 }),
      fc.boolean(),
    )
    fc.assert(
      fc.property(arb, ([ks, values, trusted]) => {
        const b: { [k: string]: unknown } = { ...S.bundle }
        ks.forEach((k, i) => {
          b[k] = values[i]
        })
        const r = verifyProof(b as unknown as ProofBundle, trusted ? S.genesis : undefined)
        expect(typeof r.ok).toBe('boolean')
        if (!r.ok) expect(r.error).toMatch(/^[a-z]+\.[a-z]+: /)
      }),
      { ...FUZZ, numRuns: 1000 },
    )
  })
})
