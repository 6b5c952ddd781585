/**
 * Vectors of the `producer.registration` check (docs/protocol.md §6.4), built from the code with fixed keys: a
 * reading in a block sealed by a producer registered by node-register, whose bundle carries the registration path,
 * and bundles that must fail, each breaking one rule of the path.
 */
import { ROLES } from '../../core/account.ts'
import { ZERO_HASH } from '../../core/batch.ts'
import { signBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../../core/ed25519.ts'
import { type Genesis, type GenesisJson, genesisHash, genesisToJson } from '../../core/genesis.ts'
import { encodeNodeRegistration } from '../../core/ledger-payloads.ts'
import { inclusionPath, leafHash, merkleRoot } from '../../core/merkle.ts'
import type { RegistrationStep } from '../../core/producer-proof.ts'
import { type ProofBundle, toProofBundle } from '../../core/proof.ts'
import { encodeRecord } from '../../core/record.ts'
import { sealBatch } from '../../core/seal.ts'
import { type SignedTx, signTx, TX_TYPES } from '../../core/transaction.ts'
import { type CheckName, verifyProof } from '../../core/verify-proof.ts'
import { extractSection } from './vector-fields.ts'

export interface ProducerVector {
  id: string
  title: string
  bundle: ProofBundle
  /** The check that must fail (every earlier one passes); null: the bundle verifies. */
  fails: CheckName | null
}

export interface ProducerVectors {
  /** The genesis the verifier trusts: producer and authority key 0x01. */
  genesis: GenesisJson
  vectors: ProducerVector[]
}

const CHAIN = 'stele-vectors'
const T = 1_700_000_000_000
const key = (n: number): KeyPair => keyPairFromSeed(new Uint8Array(32).fill(n))

/** A node-register of key 0x03 signed by `signer`, with `roles`. */
function registration(signer: KeyPair, roles: number): SignedTx {
  return signTx(
    {
      type: TX_TYPES.NODE_REGISTER,
      chainId: CHAIN,
      signer: signer.publicKey,
      nonce: 0,
      payload: encodeNodeRegistration({ fee: 0n, node: key(3).publicKey, roles, endpoints: [] }),
    },
    signer.secretKey,
  )
}

/** Block `height` over `txs`, signed by `by`; the step proving txs[0] in it. */
function block(height: number, prevHash: Uint8Array, txs: SignedTx[], by: KeyPair) {
  const leaves = txs.map((t) => leafHash(t.hash))
  const signed = signBlockHeader(
    {
      chainId: CHAIN,
      height,
      prevHash,
      time: T + height * 1000,
      txRoot: merkleRoot(leaves),
      txCount: txs.length,
      producer: by.publicKey,
      stateRoot: new Uint8Array(32).fill(height),
    },
    by.secretKey,
  )
  const step: RegistrationStep = {
    tx: toHex(txs[0]!.bytes),
    txIndex: 0,
    txPath: inclusionPath(leaves, 0).map(toHex),
    blockHeader: toHex(signed.header),
    blockSignature: toHex(signed.signature),
  }
  return { signed, step }
}

/**
 * Genesis names key 0x01 (producer and authority). Block 1, by 0x01, holds the authority's registration of key 0x03
 * as a producer; block 2, by 0x03, holds a gateway's (0x02) batch of two records. The bundle proves record 1.
 */
function chain(reg: SignedTx, regBy: KeyPair) {
  const genesis: Genesis = {
    chainId: CHAIN,
    time: T,
    producers: [key(1).publicKey],
    authority: key(1).publicKey,
  }
  const b1 = block(1, genesisHash(genesis), [reg], regBy)
  const records = [1, 2].map((seq) =>
    encodeRecord({
      gateway: key(2).publicKey,
      seq,
      time: T + seq,
      logical: 0,
      device: 'dev-1',
      sensor: 'temp',
      value: 20 + seq,
      unit: 'C',
      source: 'sim',
    }),
  )
  const batch = sealBatch({
    chainId: CHAIN,
    gateway: key(2),
    seq: 1,
    prevHash: ZERO_HASH,
    records,
    firstRecordSeq: 1,
    minTime: T + 1,
    maxTime: T + 2,
  })
  const b2 = block(2, b1.signed.hash, [batch.tx], key(3))
  const json = genesisToJson(genesis)
  const bundle = toProofBundle(
    {
      record: records[1]!,
      recordIndex: 1,
      recordPath: inclusionPath(records.map(leafHash), 1),
      batchTx: batch.tx.bytes,
      txIndex: 0,
      txPath: [],
      blockHeader: b2.signed.header,
      blockSignature: b2.signed.signature,
      genesis: json,
    },
    undefined,
    [b1.step],
  )
  return { genesis: json, bundle, step: b1.step }
}

export function buildProducerVectors(): ProducerVectors {
  const good = chain(registration(key(1), ROLES.PRODUCER), key(1))
  const { registrations: _r, ...removed } = good.bundle
  const flip = (hex: string) => hex.slice(0, -2) + (hex.endsWith('00') ? '01' : '00')
  const vectors: ProducerVector[] = [
    {
      id: 'registered-producer',
      title: 'block 2 sealed by key 0x03, registered as a producer by the authority in block 1',
      bundle: good.bundle,
      fails: null,
    },
    {
      id: 'registration-removed',
      title: 'the same bundle without `registrations`',
      bundle: removed,
      fails: 'block.producer',
    },
    {
      id: 'registration-not-authority',
      title: 'key 0x03 registers itself: the node-register is not signed by the genesis authority',
      bundle: chain(registration(key(3), ROLES.PRODUCER), key(1)).bundle,
      fails: 'producer.registration',
    },
    {
      id: 'registration-no-producer-role',
      title: 'the authority registers key 0x03 as a replicator only',
      bundle: chain(registration(key(1), ROLES.REPLICATOR), key(1)).bundle,
      fails: 'producer.registration',
    },
    {
      id: 'registration-block-stranger',
      title: 'the registration is in a block signed by key 0x04, no producer',
      bundle: chain(registration(key(1), ROLES.PRODUCER), key(4)).bundle,
      fails: 'producer.registration',
    },
    {
      id: 'registration-signature',
      title: 'the last byte of the registration block signature changed',
      bundle: {
        ...good.bundle,
        registrations: [{ ...good.step, blockSignature: flip(good.step.blockSignature) }],
      },
      fails: 'producer.registration',
    },
  ]
  for (const v of vectors) {
    const r = verifyProof(v.bundle, good.genesis)
    const failed = r.checks.find((c) => !c.ok)?.name ?? null
    if (failed !== v.fails) throw new Error(`${v.id}: fails at ${failed}, not ${v.fails}`)
  }
  return { genesis: good.genesis, vectors }
}

const BEGIN =
  '<!-- BEGIN GENERATED PRODUCER VECTORS (test/core/gen-producer-vectors.ts from core/vectors/producer-proofs.json) -->'
const END = '<!-- END GENERATED PRODUCER VECTORS -->'

export function renderProducerSection(v: ProducerVectors): string {
  const good = v.vectors.find((x) => x.fails === null)!
  const { reading: _reading, ...bundle } = good.bundle
  return [
    BEGIN,
    '',
    'Generated from `core/vectors/producer-proofs.json`; `test/core/producer-vectors.test.ts` fails if this section,',
    'the JSON or the code disagree. Keys: Ed25519 seeds of 32 equal bytes, 0x01 the genesis producer and authority,',
    '0x02 the gateway, 0x03 the registered producer, 0x04 a stranger; chain `stele-vectors`; genesis time',
    '1700000000000, block `h` at that time + h × 1000 with a state root of 32 bytes `h`. Each bundle is checked',
    "against the file's `genesis`.",
    '',
    '| id | what it is | fails at |',
    '| --- | --- | --- |',
    ...v.vectors.map((x) => `| \`${x.id}\` | ${x.title} | ${x.fails ? `\`${x.fails}\`` : 'verifies'} |`),
    '',
    `\`${good.id}\`, the bundle that verifies:`,
    '',
    '```json',
    JSON.stringify(bundle, null, 2),
    '```',
    '',
    END,
  ].join('\n')
}

export function extractProducerSection(doc: string): string | undefined {
  return extractSection(doc, BEGIN, END)
}
