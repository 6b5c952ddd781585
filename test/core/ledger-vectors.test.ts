import { createHash, createPublicKey, verify as rawVerify } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { decodeBlockHeader } from '../../core/block.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { genesisFromJson, genesisHash } from '../../core/genesis.ts'
import { decodeStateProof, encodeStateProof, verifyStateProof } from '../../core/state-map.ts'
import { decodeTx } from '../../core/transaction.ts'
import ledger from '../../core/vectors/ledger.json' with { type: 'json' }
import { openDb } from '../../node/db/db.ts'
import { genesisChanges } from '../../node/ledger/genesis-state.ts'
import { applyChanges, LedgerState, mapReader } from '../../node/ledger/ledger-state.ts'
import { applyTx, validateTx } from '../../node/ledger/registry.ts'
import { StateMap } from '../../node/ledger/state-map.ts'
import { tempDir } from '../helpers/tmp.ts'
import {
  buildLedgerVectors,
  extractLedgerSection,
  type LedgerVector,
  type LedgerVectors,
  renderLedgerSection,
} from './ledger-vectors-lib.ts'

const V = ledger as unknown as LedgerVectors
const byId = (id: string): LedgerVector => V.encodings.find((e) => e.id === id)!
const H = (...hex: string[]): string =>
  createHash('sha256')
    .update(Buffer.concat(hex.map((h) => Buffer.from(h, 'hex'))))
    .digest('hex')
const ed25519Verify = (pub: string, msg: string, sig: string): boolean =>
  rawVerify(
    null,
    Buffer.from(msg, 'hex'),
    createPublicKey({
      key: Buffer.from(`302a300506032b6570032100${pub}`, 'hex'),
      format: 'der',
      type: 'spki',
    }),
    Buffer.from(sig, 'hex'),
  )

describe('core/vectors/ledger.json', () => {
  it('is exactly what the code produces (regenerate: node --import tsx test/core/gen-ledger-vectors.ts)', () => {
    expect(JSON.parse(JSON.stringify(buildLedgerVectors()))).toEqual(V)
  })

  it('every field table concatenates to its encoding; hashes are SHA-256 of the documented inputs', () => {
    for (const e of V.encodings) expect(e.fields.map(([, h]) => h).join(''), e.id).toBe(e.hex)
    for (const p of V.state.proofs) expect(p.fields.map(([, h]) => h).join('')).toBe(p.proof)
    expect(byId('genesis-v2').derived.hash).toBe(H(byId('genesis-v2').hex))
    for (const id of ['tx-faucet-grant', 'tx-transfer', 'tx-node-register'])
      expect(byId(id).derived.hash).toBe(H(byId(id).hex))
    for (const l of V.state.leaves) {
      expect(l.key).toBe(H(l.namespace.toString(16).padStart(2, '0'), l.id))
      expect(l.leafHash).toBe(H('00', l.key, H(l.value)))
    }
  })

  it('the genesis JSON reads back to the same hash; the block header carries the state root and is signed', () => {
    const g = genesisFromJson(byId('genesis-v2').value)
    expect(toHex(genesisHash(g))).toBe(byId('genesis-v2').derived.hash)
    const block = byId('block-header-v2')
    const h = decodeBlockHeader(fromHex(block.hex))
    expect(toHex(h.stateRoot!)).toBe(V.state.root)
    expect(toHex(h.prevHash)).toBe(byId('genesis-v2').derived.hash)
    const domain = Buffer.from('stele:block:v1').toString('hex')
    expect(ed25519Verify(V.keys.producer!.publicKey, domain + block.hex, block.derived.signature!)).toBe(true)
  })

  it('the state root and proofs check with the spec algorithm', () => {
    for (const p of V.state.proofs)
      expect(
        verifyStateProof(
          fromHex(V.state.root),
          fromHex(p.key),
          p.value === null ? null : fromHex(p.value),
          decodeStateProof(fromHex(p.proof)),
        ),
        p.what,
      ).toBe(true)
  })

  it('the registry and the node tree reproduce the vectors: same root, same proof bytes', async () => {
    const genesis = genesisFromJson(byId('genesis-v2').value)
    const txs = ['tx-faucet-grant', 'tx-transfer', 'tx-node-register'].map((id) =>
      decodeTx(fromHex(byId(id).hex)),
    )
    const committed = new Map<string, Uint8Array>()
    applyChanges(committed, genesisChanges(genesis))
    const s = new LedgerState(mapReader(committed))
    for (const tx of txs) {
      validateTx(tx, s, genesis)
      applyTx(tx, s, { genesis, producer: genesis.producers[0]! })
    }
    const dir = await tempDir('stele-ledger-vectors-')
    const db = await openDb(dir.path)
    try {
      const map = await new StateMap(db).open()
      await map.apply(genesisChanges(genesis))
      await map.apply(s.changes())
      expect(toHex(map.root)).toBe(V.state.root)
      expect(map.root).not.toEqual(new Uint8Array(32))
      for (const p of V.state.proofs) {
        const got = await map.prove(fromHex(p.key))
        expect(got.value === null ? null : toHex(got.value)).toBe(p.value)
        expect(toHex(encodeStateProof(got.proof))).toBe(p.proof)
      }
    } finally {
      await db.close()
      await dir.cleanup()
    }
  })
})

describe('docs/protocol.md §9.8', () => {
  it('carries exactly the section rendered from core/vectors/ledger.json', async () => {
    const doc = await readFile(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
    expect(extractLedgerSection(doc)).toBe(renderLedgerSection(V))
    for (const s of ['stele:block:v1', 'STELE_NONCE_TOO_LOW', 'STELE_MEMO_TOO_LONG', 'H(0x00 ‖ k ‖ H(v))'])
      expect(doc, s).toContain(s)
  })
})
