import { createPublicKey, verify as rawVerify } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { decodeBatchHeader } from '../../core/batch.ts'
import { BLOCK_DOMAIN, decodeBlockHeader } from '../../core/block.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { type GenesisJson, genesisFromJson } from '../../core/genesis.ts'
import { decodeGatewayRegistration } from '../../core/payloads.ts'
import type { ProofBundle } from '../../core/proof.ts'
import { decodeRecord, decodeRecordList } from '../../core/record.ts'
import { decodeTx, TX_DOMAIN, TX_TYPE_NAMES } from '../../core/transaction.ts'
import protocol from '../../core/vectors/protocol.json' with { type: 'json' }
import { verifyProof } from '../../core/verify-proof.ts'
import { recordToJson } from './fixtures.ts'
import { H, refAllPaths, refMth } from './rfc6962-ref.ts'
import {
  buildVectors,
  type EncodingVector,
  extractVectorSection,
  type ProtocolVectors,
  renderVectorSection,
} from './vectors-lib.ts'

const V = protocol as unknown as ProtocolVectors
const byId = (id: string): EncodingVector => {
  const v = V.encodings.find((e) => e.id === id)
  if (!v) throw new Error(`no vector ${id}`)
  return v
}
const b = (hex: string): Uint8Array => fromHex(hex)
const h = (...parts: string[]): string => toHex(H(...parts.map(b)))
const ascii = (s: string): string => Buffer.from(s, 'ascii').toString('hex')

/** Ed25519 verify straight through node:crypto, not core/ed25519.ts. */
function ed25519Verify(pubHex: string, msgHex: string, sigHex: string): boolean {
  const key = createPublicKey({
    key: Buffer.from(`302a300506032b6570032100${pubHex}`, 'hex'),
    format: 'der',
    type: 'spki',
  })
  return rawVerify(null, Buffer.from(msgHex, 'hex'), key, Buffer.from(sigHex, 'hex'))
}

/** Decodes a vector's bytes with core and gives the value back in the vectors' JSON form. */
function decodeToJson(v: EncodingVector): unknown {
  const bytes = b(v.hex)
  switch (v.kind) {
    case 'record':
      return recordToJson(decodeRecord(bytes))
    case 'record-list':
      return { records: decodeRecordList(bytes).map(toHex) }
    case 'batch-header': {
      const x = decodeBatchHeader(bytes)
      return {
        ...x,
        gateway: toHex(x.gateway),
        prevHash: toHex(x.prevHash),
        recordsRoot: toHex(x.recordsRoot),
      }
    }
    case 'gateway-registration': {
      const x = decodeGatewayRegistration(bytes)
      return { ...x, gateway: toHex(x.gateway) }
    }
    case 'tx': {
      const x = decodeTx(bytes)
      return {
        type: x.type,
        typeName: TX_TYPE_NAMES[x.type],
        chainId: x.chainId,
        signer: toHex(x.signer),
        nonce: x.nonce,
        payload: toHex(x.payload),
      }
    }
    case 'block-header': {
      const x = decodeBlockHeader(bytes)
      return { ...x, prevHash: toHex(x.prevHash), txRoot: toHex(x.txRoot), producer: toHex(x.producer) }
    }
    case 'genesis': {
      const g = genesisFromJson({ ...(v.value as object), hash: v.derived.hash })
      return {
        chainId: g.chainId,
        time: g.time,
        producers: g.producers.map(toHex),
        authority: toHex(g.authority),
      }
    }
  }
}

describe('core/vectors/protocol.json', () => {
  it('is exactly what the code produces from the fixed keys (regenerate: node --import tsx test/core/gen-vectors.ts)', () => {
    expect(JSON.parse(JSON.stringify(buildVectors()))).toEqual(V)
  })

  it('covers every structure the protocol defines', () => {
    const kinds = new Set(V.encodings.map((e) => e.kind))
    expect([...kinds].sort()).toEqual(
      [
        'batch-header',
        'block-header',
        'gateway-registration',
        'genesis',
        'record',
        'record-list',
        'tx',
      ].sort(),
    )
    expect(V.keys.gateway!.seed).toBe('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
  })

  for (const v of V.encodings) {
    it(`${v.id}: fields concatenate to the encoding, which decodes to the value`, () => {
      expect(v.fields.map(([, x]) => x).join('')).toBe(v.hex)
      expect(decodeToJson(v)).toEqual(v.value)
    })
  }

  it('hashes are SHA-256 of the documented inputs', () => {
    expect(byId('genesis').derived.hash).toBe(h(byId('genesis').hex))
    for (const v of V.encodings.filter((e) => e.kind === 'record'))
      expect(v.derived.leafHash, v.id).toBe(h('00', v.hex))
    for (const v of V.encodings.filter((e) => e.kind === 'batch-header'))
      expect(v.derived.hash).toBe(h(v.hex))
    for (const v of V.encodings.filter((e) => e.kind === 'tx')) {
      expect(v.derived.hash, v.id).toBe(h(v.hex))
      expect(v.derived.body! + v.derived.signature!).toBe(v.hex)
    }
    const block = byId('block-header-1')
    expect(block.derived.hash).toBe(h(block.hex))
  })

  it('signatures verify over the domain-separated signing messages, with the published keys', () => {
    expect(toHex(TX_DOMAIN)).toBe(ascii('stele:tx:v1'))
    expect(toHex(BLOCK_DOMAIN)).toBe(ascii('stele:block:v1'))
    for (const v of V.encodings.filter((e) => e.kind === 'tx')) {
      expect(v.derived.signingMessage).toBe(ascii('stele:tx:v1') + v.derived.body)
      const signer = (v.value as { signer: string }).signer
      expect(ed25519Verify(signer, v.derived.signingMessage!, v.derived.signature!), v.id).toBe(true)
      // The same signature is no block signature: the domains keep the two apart.
      expect(ed25519Verify(signer, ascii('stele:block:v1') + v.derived.body, v.derived.signature!)).toBe(
        false,
      )
    }
    expect((byId('tx-gateway-register').value as { signer: string }).signer).toBe(V.keys.authority!.publicKey)
    expect((byId('tx-record-batch-1').value as { signer: string }).signer).toBe(V.keys.gateway!.publicKey)
    const block = byId('block-header-1')
    expect(block.derived.signingMessage).toBe(ascii('stele:block:v1') + block.hex)
    expect(
      ed25519Verify(V.keys.producer!.publicKey, block.derived.signingMessage!, block.derived.signature!),
    ).toBe(true)
  })

  it('the structures link up: payloads, roots, chains and counts', () => {
    const records = V.encodings.filter((e) => e.kind === 'record')
    const list = byId('record-list-1').value as { records: string[] }
    expect(list.records).toEqual(records.slice(0, 5).map((r) => r.hex))
    expect(V.merkle.records.data).toEqual(list.records)
    expect(V.merkle.records.leafHashes).toEqual(records.slice(0, 5).map((r) => r.derived.leafHash))
    expect(V.merkle.records.root).toBe(toHex(refMth(list.records.map(b))))
    expect(V.merkle.records.paths).toEqual(refAllPaths(list.records.map(b)).map((p) => p.map(toHex)))

    const b1 = byId('batch-header-1')
    const b2 = byId('batch-header-2')
    expect((b1.value as { recordsRoot: string }).recordsRoot).toBe(V.merkle.records.root)
    expect((b1.value as { prevHash: string }).prevHash).toBe('00'.repeat(32))
    expect((b2.value as { prevHash: string }).prevHash).toBe(b1.derived.hash)
    expect((b2.value as { recordsRoot: string }).recordsRoot).toBe(h('00', records[5]!.hex))
    expect((byId('tx-record-batch-1').value as { payload: string }).payload).toBe(b1.hex)
    expect((byId('tx-record-batch-2').value as { payload: string }).payload).toBe(b2.hex)
    expect((byId('tx-gateway-register').value as { payload: string }).payload).toBe(
      byId('gateway-registration').hex,
    )

    const txs = ['tx-gateway-register', 'tx-record-batch-1', 'tx-record-batch-2'].map(byId)
    expect(V.merkle.transactions.data).toEqual(txs.map((t) => t.derived.hash))
    expect(V.merkle.transactions.root).toBe(toHex(refMth(txs.map((t) => b(t.derived.hash!)))))
    expect(V.merkle.transactions.paths).toEqual(
      refAllPaths(txs.map((t) => b(t.derived.hash!))).map((p) => p.map(toHex)),
    )
    const block = byId('block-header-1').value as { prevHash: string; txRoot: string; txCount: number }
    expect(block.prevHash).toBe(byId('genesis').derived.hash)
    expect(block.txRoot).toBe(V.merkle.transactions.root)
    expect(block.txCount).toBe(3)
  })

  it('the proof bundle is made of the vectors above and verifies with the checks listed', () => {
    const bundle = V.proof.bundle
    expect(bundle.record).toBe(byId('record-2').hex)
    expect(bundle.recordPath).toEqual(V.merkle.records.paths[1])
    expect(bundle.batchTx).toBe(byId('tx-record-batch-1').hex)
    expect(bundle.txPath).toEqual(V.merkle.transactions.paths[1])
    expect(bundle.blockHeader).toBe(byId('block-header-1').hex)
    expect(bundle.blockSignature).toBe(byId('block-header-1').derived.signature)
    const trusted = genesisFromJson(byId('genesis').value)
    const r = verifyProof(bundle as ProofBundle, trusted)
    expect(r.ok).toBe(true)
    expect(r.checks.map((c) => c.name)).toEqual(V.proof.checks)
    expect(V.proof.checks).toHaveLength(11)
  })

  for (const f of V.failures) {
    it(`failure ${f.id}: fails at ${f.fails}, every earlier check passed`, () => {
      const r = verifyProof(f.bundle, f.trusted as GenesisJson)
      expect(r.ok).toBe(false)
      const names = r.checks.map((c) => c.name)
      expect(names).toEqual(V.proof.checks.slice(0, names.length))
      expect(names.at(-1)).toBe(f.fails)
      expect(r.checks.slice(0, -1).every((c) => c.ok)).toBe(true)
    })
  }

  it('the failure vectors cover every rule they are there for', () => {
    expect(V.failures.map((f) => f.fails).sort()).toEqual(
      [
        'genesis.trusted',
        'genesis.trusted',
        'genesis.trusted',
        'record.decode',
        'batch.decode',
        'batch.decode',
        'batch.decode',
        'block.decode',
      ].sort(),
    )
  })
})

describe('docs/protocol.md', () => {
  const doc = readFile(new URL('../../docs/protocol.md', import.meta.url), 'utf8')

  it('carries exactly the vector section rendered from core/vectors/protocol.json', async () => {
    const section = extractVectorSection(await doc)
    expect(section, 'generated-vector markers missing').toBeDefined()
    expect(section).toBe(renderVectorSection(V))
  })

  it('states the constants the code uses', async () => {
    const text = await doc
    for (const s of [
      ascii('stele:tx:v1'),
      ascii('stele:block:v1'),
      '`"stele-proof/1"`',
      'Fixed size, 133 bytes',
      '0x001fffff',
      'at most 10 000',
      'p ≤ 65 536 bytes',
    ])
      expect(text, s).toContain(s)
    for (const name of V.proof.checks)
      expect(text, name).toMatch(new RegExp(`\\*\\*\`${name.replace('.', '\\.')}\`\\*\\*`))
    expect(text).toContain('[protocol-serial.md](protocol-serial.md)')
  })
})
