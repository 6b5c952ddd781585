/** Vectors of the network encodings (docs/protocol.md §9.9), built from the code with fixed keys and times. */
import { ZERO_HASH } from '../../core/batch.ts'
import { signBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import { keyPairFromSeed } from '../../core/ed25519.ts'
import { sha256 } from '../../core/hash.ts'
import { leafHash, merkleRoot } from '../../core/merkle.ts'
import { encodeGatewayRegistration } from '../../core/payloads.ts'
import { encodeRecord } from '../../core/record.ts'
import { sealBatch } from '../../core/seal.ts'
import { signTx, TX_TYPES } from '../../core/transaction.ts'
import { encodeWireBlock } from '../../node/chain/wire-block.ts'
import { encodeEvidence } from '../../node/consensus/equivocation.ts'
import { encodeEvidencePayload, offenceKey } from '../../node/consensus/evidence-tx.ts'
import { encodeSyncRequest } from '../../node/p2p/block-sync-codec.ts'
import { encodeTxGossip } from '../../node/p2p/gossip-codec.ts'
import { encodeBatchGossip } from '../../node/p2p/network.ts'
import { extractSection } from './vector-fields.ts'

export interface NetworkVector {
  id: string
  description: string
  hex: string
  sha256: string
}

const CHAIN = 'stele-vectors'
const T = 1_700_000_000_000
const key = (n: number) => keyPairFromSeed(new Uint8Array(32).fill(n))

export function buildNetworkVectors(): NetworkVector[] {
  const producer = key(1)
  const gateway = key(2)
  const reg = signTx(
    {
      type: TX_TYPES.GATEWAY_REGISTER,
      chainId: CHAIN,
      signer: producer.publicKey,
      nonce: T,
      payload: encodeGatewayRegistration({ gateway: gateway.publicKey, name: 'gw', devices: [] }),
    },
    producer.secretKey,
  )
  const records = [1, 2].map((seq) =>
    encodeRecord({
      gateway: gateway.publicKey,
      seq,
      time: T + seq,
      logical: 0,
      device: 'dev-1',
      sensor: 'temp',
      value: 20 + seq,
      unit: 'C',
      deviceSeq: seq,
      source: 'sim',
    }),
  )
  const batch = sealBatch({
    chainId: CHAIN,
    gateway,
    seq: 1,
    prevHash: ZERO_HASH,
    records,
    firstRecordSeq: 1,
    minTime: T + 1,
    maxTime: T + 2,
  })
  const txs = [reg, batch.tx]
  const fields = {
    chainId: CHAIN,
    height: 1,
    prevHash: new Uint8Array(32).fill(9),
    time: T + 1000,
    txRoot: merkleRoot(txs.map((t) => leafHash(t.hash))),
    txCount: 2,
    producer: producer.publicKey,
    stateRoot: new Uint8Array(32).fill(5),
  }
  const a = signBlockHeader(fields, producer.secretKey)
  const b = signBlockHeader({ ...fields, time: T + 1001 }, producer.secretKey)
  const wire = encodeWireBlock({
    header: a.header,
    signature: a.signature,
    txs: [
      { tx: reg.bytes, records: new Uint8Array(0) },
      { tx: batch.tx.bytes, records: batch.records },
    ],
  })
  const evidence = {
    a: { header: a.header, signature: a.signature },
    b: { header: b.header, signature: b.signature },
  }
  const evidenceTx = signTx(
    {
      type: TX_TYPES.EQUIVOCATION_EVIDENCE,
      chainId: CHAIN,
      signer: key(3).publicKey,
      nonce: 0,
      payload: encodeEvidencePayload({ fee: 0n, evidence }),
    },
    key(3).secretKey,
  )
  const v = (id: string, description: string, bytes: Uint8Array): NetworkVector => ({
    id,
    description,
    hex: toHex(bytes),
    sha256: toHex(sha256(bytes)),
  })
  return [
    v(
      'wire-block',
      'block 1: a gateway registration, then a record batch of 2 records with its record list',
      wire,
    ),
    v(
      'evidence',
      'equivocation evidence: two headers of block 1 by one producer (time +1 ms), lower hash first',
      encodeEvidence(evidence),
    ),
    v(
      'evidence-tx',
      'an equivocation evidence transaction (type 15, fee 0, nonce 0) signed by key 3',
      evidenceTx.bytes,
    ),
    v(
      'offence-key',
      'state key of the offence: sha256(u8 6 | producer | u64 height)',
      offenceKey(producer.publicKey, 1),
    ),
    v(
      'gossip-batch',
      'transaction-topic message of the batch: kind 2 | var32 tx | record list',
      encodeTxGossip({
        kind: 'batch',
        bytes: encodeBatchGossip({ tx: batch.tx.bytes, records: batch.records }),
      }),
    ),
    v(
      'sync-request',
      'block-range request: version 1, from 1, count 256',
      encodeSyncRequest({ from: 1, count: 256 }),
    ),
  ]
}

const BEGIN =
  '<!-- BEGIN GENERATED NETWORK VECTORS (test/core/gen-network-vectors.ts from core/vectors/network.json) -->'
const END = '<!-- END GENERATED NETWORK VECTORS -->'

export function renderNetworkSection(vectors: readonly NetworkVector[]): string {
  const lines = [
    BEGIN,
    '',
    'Generated from `core/vectors/network.json`; `test/core/network-vectors.test.ts` fails if this section, the JSON',
    'or the code disagree. Keys: Ed25519 seeds of 32 equal bytes, 0x01 the producer, 0x02 the gateway, 0x03 the',
    'reporter; chain `stele-vectors`; times from 1700000000000.',
    '',
  ]
  for (const x of vectors)
    lines.push(
      `#### \`${x.id}\``,
      '',
      `${x.description}; sha256 \`${x.sha256}\`.`,
      '',
      '```',
      ...(x.hex.match(/.{1,96}/g) ?? []),
      '```',
      '',
    )
  lines.push(END)
  return lines.join('\n')
}

export function extractNetworkSection(doc: string): string | undefined {
  return extractSection(doc, BEGIN, END)
}
