import { describe, expect, it } from 'vitest'
import { batchHeaderHash, ZERO_HASH } from '../../core/batch.ts'
import { signBlockHeader } from '../../core/block.ts'
import { utf8 } from '../../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../../core/ed25519.ts'
import { type Genesis, genesisHash, genesisToJson } from '../../core/genesis.ts'
import { sha256 } from '../../core/hash.ts'
import { inclusionPath, leafHash, merkleRoot } from '../../core/merkle.ts'
import { type ProofBundle, toProofBundle } from '../../core/proof.ts'
import { encodeRecord, type StampedRecord } from '../../core/record.ts'
import { type SealedBatch, sealBatch } from '../../core/seal.ts'
import type { SignedTx } from '../../core/transaction.ts'
import { verifyProof } from '../../core/verify-proof.ts'
import { failsAt } from './proof-checks.ts'

// A larger chain, built from scratch: every record of every batch proven.

interface Chain {
  genesis: Genesis
  bundles: { bundle: ProofBundle; record: StampedRecord }[]
}

function buildChain(): Chain {
  const key = (name: string): KeyPair => keyPairFromSeed(sha256(utf8(name)))
  const producer = key('producer')
  const gateways = [key('gw-a'), key('gw-b')]
  const genesis: Genesis = {
    chainId: 'stele-e2e',
    time: 1_000,
    producers: [key('other-producer').publicKey, producer.publicKey],
    authority: key('authority').publicKey,
  }
  const state = gateways.map(() => ({ seq: 0, recordSeq: 0, prev: ZERO_HASH as Uint8Array, time: 2_000 }))
  const seal = (
    g: number,
    n: number,
  ): { sealed: SealedBatch; records: StampedRecord[]; bytes: Uint8Array[] } => {
    const st = state[g]!
    const records: StampedRecord[] = Array.from({ length: n }, (_, i) => ({
      gateway: gateways[g]!.publicKey,
      seq: ++st.recordSeq,
      time: st.time + 3 * st.recordSeq + (i % 3),
      logical: i % 2,
      device: `dev-${g}-${i % 4}`,
      sensor: i % 2 ? 'temp' : 'rh',
      value: i / 7,
      unit: i % 2 ? 'C' : '%',
      source: 'sim',
    }))
    const bytes = records.map(encodeRecord)
    const sealed = sealBatch({
      chainId: genesis.chainId,
      gateway: gateways[g]!,
      seq: ++st.seq,
      prevHash: st.prev,
      records: bytes,
      firstRecordSeq: records[0]!.seq,
      minTime: records[0]!.time,
      maxTime: records[n - 1]!.time,
    })
    st.prev = batchHeaderHash(sealed.headerBytes)
    return { sealed, records, bytes }
  }
  const bundles: Chain['bundles'] = []
  let prevHash = genesisHash(genesis)
  const blocks = [
    [
      [0, 1],
      [1, 2],
      [0, 7],
      [1, 16],
      [0, 33],
    ],
    [
      [1, 5],
      [0, 3],
    ],
  ] as const
  blocks.forEach((spec, h) => {
    const batches = spec.map(([g, n]) => seal(g, n))
    const txs: SignedTx[] = batches.map((b) => b.sealed.tx)
    const txLeaves = txs.map((t) => leafHash(t.hash))
    const block = signBlockHeader(
      {
        chainId: genesis.chainId,
        height: h + 1,
        prevHash,
        time: 10_000 + h,
        txRoot: merkleRoot(txLeaves),
        txCount: txs.length,
        producer: producer.publicKey,
      },
      producer.secretKey,
    )
    prevHash = block.hash
    batches.forEach((b, t) => {
      const leaves = b.bytes.map(leafHash)
      b.bytes.forEach((rec, i) => {
        bundles.push({
          record: b.records[i]!,
          bundle: toProofBundle({
            record: rec,
            recordIndex: i,
            recordPath: inclusionPath(leaves, i),
            batchTx: txs[t]!.bytes,
            txIndex: t,
            txPath: inclusionPath(txLeaves, t),
            blockHeader: block.header,
            blockSignature: block.signature,
            genesis: genesisToJson(genesis),
          }),
        })
      })
    })
  })
  return { genesis, bundles }
}

describe('end to end: two gateways, seven batches, two blocks', () => {
  const chain = buildChain()
  it('every record of every batch has a proof that verifies', () => {
    expect(chain.bundles).toHaveLength(1 + 2 + 7 + 16 + 33 + 5 + 3)
    for (const { bundle, record } of chain.bundles) {
      const r = verifyProof(bundle, chain.genesis)
      expect(r.ok, `${record.device} seq ${record.seq}: ${r.error}`).toBe(true)
      expect(r.record).toEqual(record)
    }
  })
  it('a proof of one record does not prove its neighbour', () => {
    const [a, b] = [chain.bundles[20]!, chain.bundles[21]!]
    failsAt(
      verifyProof({ ...a.bundle, record: b.bundle.record }, chain.genesis),
      ['record.gateway'],
      'neighbour',
    )
    failsAt(
      verifyProof({ ...a.bundle, record: b.bundle.record, recordIndex: b.bundle.recordIndex }, chain.genesis),
      ['record.inclusion'],
      'neighbour at its index',
    )
  })
  it('a proof against another block of the chain fails', () => {
    const first = chain.bundles[0]!.bundle
    const last = chain.bundles[chain.bundles.length - 1]!.bundle
    failsAt(
      verifyProof(
        { ...first, blockHeader: last.blockHeader, blockSignature: last.blockSignature },
        chain.genesis,
      ),
      ['tx.inclusion'],
      'other block',
    )
  })
})
