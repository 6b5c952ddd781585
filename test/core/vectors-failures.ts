import { type BatchHeader, encodeBatchHeader, ZERO_HASH } from '../../core/batch.ts'
import { signBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import { type GenesisJson, genesisHash, genesisToJson } from '../../core/genesis.ts'
import { inclusionPath, leafHash, merkleRoot } from '../../core/merkle.ts'
import { type ProofBundle, toProofBundle } from '../../core/proof.ts'
import { encodeRecord } from '../../core/record.ts'
import { signTx, TX_TYPES } from '../../core/transaction.ts'
import { type CheckName, verifyProof } from '../../core/verify-proof.ts'
import { BLOCK_TIME, buildScenario, CHAIN_ID } from './fixtures.ts'

/**
 * Proof bundles that must fail, each at one named check (docs/protocol.md §8, "Bundles that must fail"). Each is
 * a complete, self-consistent little chain that breaks exactly one rule, signed with the fixed keys: a verifier
 * that skips the rule accepts the bundle, so the vector catches the missing check.
 */
export interface FailureVector {
  id: string
  /** What is wrong, in one line. */
  title: string
  /** The genesis the verifier trusts, in its JSON form (5.1), possibly broken on purpose. */
  trusted: GenesisJson | { [k: string]: unknown }
  bundle: ProofBundle
  /** The check that must fail; every check before it passes. */
  fails: CheckName
}

interface Variant {
  /** Record sequence of the batch's first record (and the header's firstRecordSeq). */
  firstRecordSeq?: number
  batchSeq?: number
  /** The transaction nonce; by default the batch seq. */
  nonce?: number
  height?: number
  /** Leaf index of the record the bundle proves. */
  index?: number
}

/** One batch of the scenario's first five records, renumbered as asked, in block `height` after the registration. */
export function variantBundle(v: Variant = {}): ProofBundle {
  const s = buildScenario()
  const first = v.firstRecordSeq ?? 1
  const seq = v.batchSeq ?? 1
  const index = v.index ?? 1
  const records = s.records.slice(0, 5).map((r, i) => encodeRecord({ ...r, seq: first + i }))
  const header: BatchHeader = {
    gateway: s.keys.gateway.publicKey,
    seq,
    prevHash: ZERO_HASH,
    firstRecordSeq: first,
    count: records.length,
    minTime: s.records[0]!.time,
    maxTime: s.records[4]!.time,
    recordsRoot: merkleRoot(records.map(leafHash)),
  }
  const tx = signTx(
    {
      type: TX_TYPES.RECORD_BATCH,
      chainId: CHAIN_ID,
      signer: s.keys.gateway.publicKey,
      nonce: v.nonce ?? seq,
      payload: encodeBatchHeader(header),
    },
    s.keys.gateway.secretKey,
  )
  const txLeaves = [s.registrationTx, tx].map((t) => leafHash(t.hash))
  const block = signBlockHeader(
    {
      chainId: CHAIN_ID,
      height: v.height ?? 1,
      prevHash: genesisHash(s.genesis),
      time: BLOCK_TIME,
      txRoot: merkleRoot(txLeaves),
      txCount: txLeaves.length,
      producer: s.keys.producer.publicKey,
    },
    s.keys.producer.secretKey,
  )
  return toProofBundle({
    record: records[index]!,
    recordIndex: index,
    recordPath: inclusionPath(records.map(leafHash), index),
    batchTx: tx.bytes,
    txIndex: 1,
    txPath: inclusionPath(txLeaves, 1),
    blockHeader: block.header,
    blockSignature: block.signature,
    genesis: genesisToJson(s.genesis),
  })
}

export function buildFailureVectors(): FailureVector[] {
  const s = buildScenario()
  const trusted = genesisToJson(s.genesis)
  // The builder itself makes bundles that pass: each vector below differs from this by its one broken rule.
  const sane = verifyProof(variantBundle(), trusted)
  if (!sane.ok) throw new Error(`the failure vectors' base bundle does not verify: ${sane.error}`)
  const { hash: _h, ...bare } = trusted
  const out: FailureVector[] = [
    {
      id: 'trusted-genesis-unreadable',
      title: 'the trusted genesis does not read: its `hash` is not the hash of its fields',
      trusted: { ...bare, hash: toHex(new Uint8Array(32)) },
      bundle: s.bundle,
      fails: 'genesis.trusted',
    },
    {
      id: 'trusted-genesis-no-producer',
      title: 'the trusted genesis does not read: `producers` is empty',
      trusted: { ...bare, producers: [] },
      bundle: s.bundle,
      fails: 'genesis.trusted',
    },
    {
      id: 'trusted-genesis-other',
      title: 'the trusted genesis is another chain’s (chainId `stele-other`)',
      trusted: genesisToJson({ ...s.genesis, chainId: 'stele-other' }),
      bundle: s.bundle,
      fails: 'genesis.trusted',
    },
    {
      id: 'record-seq-zero',
      title: 'the record’s `seq` is 0 (its batch numbers records from 0)',
      trusted,
      bundle: variantBundle({ firstRecordSeq: 0, index: 0 }),
      fails: 'record.decode',
    },
    {
      id: 'batch-seq-zero',
      title: 'the batch header’s `seq` is 0 (and so is the transaction nonce)',
      trusted,
      bundle: variantBundle({ batchSeq: 0 }),
      fails: 'batch.decode',
    },
    {
      id: 'batch-first-record-seq-zero',
      title: 'the batch header’s `firstRecordSeq` is 0 (the proven record has seq 1, at index 1)',
      trusted,
      bundle: variantBundle({ firstRecordSeq: 0, index: 1 }),
      fails: 'batch.decode',
    },
    {
      id: 'batch-nonce-not-seq',
      title: 'the record-batch transaction’s `nonce` is 2, the header’s `seq` 1; both signed',
      trusted,
      bundle: variantBundle({ nonce: 2 }),
      fails: 'batch.decode',
    },
    {
      id: 'block-height-zero',
      title: 'the block header’s `height` is 0; signed by the producer',
      trusted,
      bundle: variantBundle({ height: 0 }),
      fails: 'block.decode',
    },
  ]
  for (const f of out) {
    const r = verifyProof(f.bundle, f.trusted as GenesisJson)
    const last = r.checks.at(-1)
    if (r.ok || last?.name !== f.fails)
      throw new Error(`failure vector ${f.id} fails at ${last?.name}, not ${f.fails}`)
  }
  return out
}
