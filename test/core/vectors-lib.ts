import { batchHeaderHash } from '../../core/batch.ts'
import { blockSigningMessage } from '../../core/block.ts'
import { encodeGenesis, genesisHash, genesisToJson } from '../../core/genesis.ts'
import { inclusionPath, leafHash, merkleRoot } from '../../core/merkle.ts'
import type { ProofBundle } from '../../core/proof.ts'
import { encodeRecordList, type StampedRecord } from '../../core/record.ts'
import { type SignedTx, TX_TYPE_NAMES, txSigningMessage } from '../../core/transaction.ts'
import { verifyProof } from '../../core/verify-proof.ts'
import { buildScenario, PROOF_RECORD, recordToJson, SEEDS } from './fixtures.ts'
import { checkedHex, extractSection, hexBlock, hx, str8, txFields, uint } from './vector-fields.ts'
import { buildFailureVectors, type FailureVector } from './vectors-failures.ts'

/**
 * Builds core/vectors/protocol.json and the generated vector section of docs/protocol.md.
 *
 * Every vector's byte layout is written out field by field here, from the specification, independently of the
 * encoders; `field` lists are checked to concatenate to exactly what core/ encodes, so the vectors are a second
 * implementation of docs/protocol.md, not a snapshot of the code.
 */

export type Kind =
  | 'genesis'
  | 'record'
  | 'record-list'
  | 'batch-header'
  | 'gateway-registration'
  | 'tx'
  | 'block-header'

export interface EncodingVector {
  id: string
  title: string
  kind: Kind
  /** The decoded value as JSON: byte strings as lowercase hex. */
  value: { [k: string]: unknown }
  /** [field name, hex] in encoding order; their concatenation is `hex`. */
  fields: [string, string][]
  hex: string
  /** Values computed from the encoding: hashes, signing messages, signatures. */
  derived: { [k: string]: string }
}

export interface MerkleVector {
  /** The leaf data (hex) of each leaf, in order. */
  data: string[]
  leafHashes: string[]
  root: string
  /** paths[i]: the inclusion path of leaf i, leaf upwards. */
  paths: string[][]
}

export interface ProtocolVectors {
  $comment: string
  keys: { [role: string]: { rfc8032: string; seed: string; publicKey: string } }
  encodings: EncodingVector[]
  merkle: { records: MerkleVector; transactions: MerkleVector }
  proof: { bundle: ProofBundle; checks: string[] }
  /** Bundles that must fail, each at one named check. */
  failures: FailureVector[]
}

// ---- the specification, field by field -------------------------------------------------------------------------

function f64(v: number): string {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setFloat64(0, v, false)
  return hx(b)
}

const SOURCE_CODES: { [s: string]: number } = { mqtt: 0, serial: 1, firmata: 2, sim: 3, http: 4 }

function recordFields(r: StampedRecord): [string, string][] {
  const flags = (r.deviceSeq !== undefined ? 1 : 0) | (r.deviceTime !== undefined ? 2 : 0)
  const f: [string, string][] = [
    ['version', '01'],
    ['gateway', hx(r.gateway)],
    ['seq', uint(r.seq, 8)],
    ['time', uint(r.time, 8)],
    ['logical', uint(r.logical, 4)],
    ...str8('device', r.device),
    ...str8('sensor', r.sensor),
    ['value', f64(r.value)],
    ...str8('unit', r.unit ?? ''),
    ['source', uint(SOURCE_CODES[r.source]!, 1)],
    ['flags', uint(flags, 1)],
  ]
  if (r.deviceSeq !== undefined) f.push(['deviceSeq', uint(r.deviceSeq, 8)])
  if (r.deviceTime !== undefined) f.push(['deviceTime', uint(r.deviceTime, 8)])
  return f
}

function txValue(tx: SignedTx): { [k: string]: unknown } {
  return {
    type: tx.type,
    typeName: TX_TYPE_NAMES[tx.type],
    chainId: tx.chainId,
    signer: hx(tx.signer),
    nonce: tx.nonce,
    payload: hx(tx.payload),
  }
}

function vector(
  id: string,
  title: string,
  kind: Kind,
  value: { [k: string]: unknown },
  fields: [string, string][],
  encoded: Uint8Array,
  derived: { [k: string]: string } = {},
): EncodingVector {
  return { id, title, kind, value, fields, hex: checkedHex(`vector ${id}`, fields, encoded), derived }
}

function merkleVector(data: Uint8Array[]): MerkleVector {
  const leaves = data.map(leafHash)
  return {
    data: data.map(hx),
    leafHashes: leaves.map(hx),
    root: hx(merkleRoot(leaves)),
    paths: leaves.map((_, i) => inclusionPath(leaves, i).map(hx)),
  }
}

export function buildVectors(): ProtocolVectors {
  const s = buildScenario()
  const { genesis, registrationTx, records, recordBytes, batches, block } = s
  const enc: EncodingVector[] = []

  const gj = genesisToJson(genesis)
  const { hash: _hash, ...genesisValue } = gj
  enc.push(
    vector(
      'genesis',
      'Genesis',
      'genesis',
      genesisValue,
      [
        ['version', '01'],
        ...str8('chainId', genesis.chainId),
        ['time', uint(genesis.time, 8)],
        ['producers.count', uint(genesis.producers.length, 4)],
        ...genesis.producers.map((p, i): [string, string] => [`producers[${i}]`, hx(p)]),
        ['authority', hx(genesis.authority)],
      ],
      encodeGenesis(genesis),
      { hash: hx(genesisHash(genesis)) },
    ),
  )

  enc.push(
    vector(
      'gateway-registration',
      'GatewayRegistration payload',
      'gateway-registration',
      { gateway: hx(s.registration.gateway), name: s.registration.name, devices: s.registration.devices },
      [
        ['gateway', hx(s.registration.gateway)],
        ...str8('name', s.registration.name),
        ['devices.count', uint(s.registration.devices.length, 2)],
        ...s.registration.devices.flatMap((d, i) => str8(`devices[${i}]`, d)),
      ],
      registrationTx.payload,
    ),
  )

  records.forEach((r, i) => {
    enc.push(
      vector(
        `record-${i + 1}`,
        `Record ${i + 1}`,
        'record',
        recordToJson(r),
        recordFields(r),
        recordBytes[i]!,
        {
          leafHash: hx(leafHash(recordBytes[i]!)),
        },
      ),
    )
  })

  const list1 = recordBytes.slice(0, 5)
  enc.push(
    vector(
      'record-list-1',
      'Record list object of batch 1',
      'record-list',
      { records: list1.map(hx) },
      [
        ['count', uint(list1.length, 4)],
        ...list1.flatMap((r, i): [string, string][] => [
          [`records[${i}].length`, uint(r.length, 2)],
          [`records[${i}]`, hx(r)],
        ]),
      ],
      encodeRecordList(list1),
    ),
  )

  batches.forEach((b, i) => {
    const h = b.header
    enc.push(
      vector(
        `batch-header-${i + 1}`,
        `BatchHeader of batch ${i + 1}`,
        'batch-header',
        {
          gateway: hx(h.gateway),
          seq: h.seq,
          prevHash: hx(h.prevHash),
          firstRecordSeq: h.firstRecordSeq,
          count: h.count,
          minTime: h.minTime,
          maxTime: h.maxTime,
          recordsRoot: hx(h.recordsRoot),
        },
        [
          ['version', '01'],
          ['gateway', hx(h.gateway)],
          ['seq', uint(h.seq, 8)],
          ['prevHash', hx(h.prevHash)],
          ['firstRecordSeq', uint(h.firstRecordSeq, 8)],
          ['count', uint(h.count, 4)],
          ['minTime', uint(h.minTime, 8)],
          ['maxTime', uint(h.maxTime, 8)],
          ['recordsRoot', hx(h.recordsRoot)],
        ],
        b.headerBytes,
        { hash: hx(batchHeaderHash(b.headerBytes)) },
      ),
    )
  })

  const txVectors: [string, string, SignedTx][] = [
    ['tx-gateway-register', 'Transaction: gateway registration (signed by the authority)', registrationTx],
    ['tx-record-batch-1', 'Transaction: record batch 1 (signed by the gateway)', batches[0]!.tx],
    ['tx-record-batch-2', 'Transaction: record batch 2 (signed by the gateway)', batches[1]!.tx],
  ]
  for (const [id, title, tx] of txVectors) {
    enc.push(
      vector(id, title, 'tx', txValue(tx), txFields(tx), tx.bytes, {
        body: hx(tx.body),
        signingMessage: hx(txSigningMessage(tx.body)),
        signature: hx(tx.signature),
        hash: hx(tx.hash),
      }),
    )
  }

  enc.push(
    vector(
      'block-header-1',
      'BlockHeader of block 1 (signed by the producer)',
      'block-header',
      {
        chainId: block.chainId,
        height: block.height,
        prevHash: hx(block.prevHash),
        time: block.time,
        txRoot: hx(block.txRoot),
        txCount: block.txCount,
        producer: hx(block.producer),
      },
      [
        ['version', '01'],
        ...str8('chainId', block.chainId),
        ['height', uint(block.height, 8)],
        ['prevHash', hx(block.prevHash)],
        ['time', uint(block.time, 8)],
        ['txRoot', hx(block.txRoot)],
        ['txCount', uint(block.txCount, 4)],
        ['producer', hx(block.producer)],
      ],
      block.header,
      {
        signingMessage: hx(blockSigningMessage(block.header)),
        signature: hx(block.signature),
        hash: hx(block.hash),
      },
    ),
  )

  const result = verifyProof(s.bundle, genesis)
  if (!result.ok) throw new Error(`the scenario's proof does not verify: ${result.error}`)

  return {
    $comment:
      'Stele protocol test vectors (docs/protocol.md §8). Regenerate with: node --import tsx test/core/gen-vectors.ts',
    keys: {
      gateway: { rfc8032: 'TEST 1', seed: SEEDS.gateway, publicKey: hx(s.keys.gateway.publicKey) },
      producer: { rfc8032: 'TEST 2', seed: SEEDS.producer, publicKey: hx(s.keys.producer.publicKey) },
      authority: { rfc8032: 'TEST 3', seed: SEEDS.authority, publicKey: hx(s.keys.authority.publicKey) },
    },
    encodings: enc,
    merkle: {
      records: merkleVector(list1),
      transactions: merkleVector(s.txs.map((t) => t.hash)),
    },
    proof: { bundle: s.bundle, checks: result.checks.map((c) => c.name) },
    failures: buildFailureVectors(),
  }
}

// ---- the generated section of docs/protocol.md -------------------------------------------------------------------

export const DOC_BEGIN =
  '<!-- BEGIN GENERATED VECTORS (test/core/gen-vectors.ts from core/vectors/protocol.json) -->'
export const DOC_END = '<!-- END GENERATED VECTORS -->'

const EMPTY = '(empty)'

const DERIVED_LABEL: { [k: string]: string } = {
  hash: 'hash = SHA-256(encoding)',
  leafHash: 'leaf hash = SHA-256(0x00 ‖ encoding) = reading id',
  body: 'body (the encoding without its last 64 bytes)',
  signingMessage: 'signing message = domain ‖ body',
  signature: 'Ed25519 signature over the signing message',
}
const DERIVED_LABEL_BLOCK: { [k: string]: string } = {
  signingMessage: 'signing message = "stele:block:v1" ‖ encoding',
  signature: 'Ed25519 signature by the producer over the signing message',
  hash: 'block hash = SHA-256(encoding)',
}
const DERIVED_LABEL_TX: { [k: string]: string } = {
  signingMessage: 'signing message = "stele:tx:v1" ‖ body',
  hash: 'transaction hash = SHA-256(encoding) (body ‖ signature)',
}

function renderEncoding(v: EncodingVector, n: number): string {
  const out: string[] = []
  out.push(`### 8.${n} ${v.title} — \`${v.id}\``, '')
  out.push('Value:', '', '```json', JSON.stringify(v.value, null, 2), '```', '')
  out.push('| offset | field | bytes (hex) |', '| ---: | --- | --- |')
  let off = 0
  for (const [name, h] of v.fields) {
    out.push(`| ${off} | ${name} | ${h === '' ? '(none)' : `\`${h}\``} |`)
    off += h.length / 2
  }
  out.push('', `Encoding, ${v.hex.length / 2} bytes:`, '', hexBlock(v.hex, EMPTY), '')
  for (const [k, h] of Object.entries(v.derived)) {
    const label =
      (v.kind === 'block-header'
        ? DERIVED_LABEL_BLOCK[k]
        : v.kind === 'tx'
          ? DERIVED_LABEL_TX[k]
          : undefined) ??
      DERIVED_LABEL[k] ??
      k
    out.push(`${label}:`, '', hexBlock(h, EMPTY), '')
  }
  return out.join('\n')
}

function renderMerkle(title: string, m: MerkleVector, n: number): string {
  const out: string[] = [`### 8.${n} ${title}`, '']
  out.push(
    '| i | leaf data (hex) | leaf hash | inclusion path (leaf upwards) |',
    '| ---: | --- | --- | --- |',
  )
  m.data.forEach((d, i) => {
    const data = d.length > 64 ? `record-${i + 1} (${d.length / 2} bytes)` : `\`${d}\``
    const path = m.paths[i]!.map((p) => `\`${p}\``).join('<br>')
    out.push(`| ${i} | ${data} | \`${m.leafHashes[i]}\` | ${path} |`)
  })
  out.push('', `Root (tree size ${m.data.length}): \`${m.root}\``, '')
  return out.join('\n')
}

export function renderVectorSection(v: ProtocolVectors): string {
  const out: string[] = [DOC_BEGIN, '']
  out.push(
    'Everything below is generated from `core/vectors/protocol.json`; `test/core/vectors.test.ts` fails if the two',
    'differ, if the JSON differs from what the code produces, or if a field table does not concatenate to its',
    'encoding. Keys are the RFC 8032 §7.1 test seeds:',
    '',
    '| role | RFC 8032 | seed (secret key) | public key |',
    '| --- | --- | --- | --- |',
  )
  for (const [role, k] of Object.entries(v.keys))
    out.push(`| ${role} | ${k.rfc8032} | \`${k.seed}\` | \`${k.publicKey}\` |`)
  out.push('')
  let n = 1
  for (const e of v.encodings) out.push(renderEncoding(e, n++))
  out.push(
    renderMerkle('Merkle tree of batch 1 (leaf data: the five record encodings)', v.merkle.records, n++),
  )
  out.push(
    renderMerkle(
      'Merkle tree of block 1 (leaf data: the three transaction hashes)',
      v.merkle.transactions,
      n++,
    ),
  )
  out.push(
    `### 8.${n} Proof bundle of record 2 (leaf ${PROOF_RECORD} of batch 1; transaction 1 of block 1)`,
    '',
    '```json',
    JSON.stringify(v.proof.bundle, null, 2),
    '```',
    '',
    `Verified against the genesis of 8.1, the checks pass in this order: ${v.proof.checks.map((c) => `\`${c}\``).join(', ')}.`,
    '',
    renderFailures(v.failures, n + 1),
    DOC_END,
  )
  return out.join('\n')
}

function renderFailures(failures: FailureVector[], n: number): string {
  const out: string[] = [`### 8.${n} Bundles that must fail`, '']
  out.push(
    'Each bundle below (in `core/vectors/protocol.json`, `failures`, with the genesis the verifier trusts) is a',
    'complete chain signed with the keys above that breaks exactly one rule: a verifier must fail it at the check',
    'named, with every earlier check passed. A verifier that skips the rule accepts the bundle.',
    '',
    '| id | what is wrong | fails at |',
    '| --- | --- | --- |',
  )
  for (const f of failures) out.push(`| \`${f.id}\` | ${f.title} | \`${f.fails}\` |`)
  out.push('')
  return out.join('\n')
}

/** The generated section as it stands in the document, or undefined when the markers are missing. */
export function extractVectorSection(doc: string): string | undefined {
  return extractSection(doc, DOC_BEGIN, DOC_END)
}
