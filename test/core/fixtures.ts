import { batchHeaderHash, ZERO_HASH } from '../../core/batch.ts'
import { type SignedBlockHeader, signBlockHeader } from '../../core/block.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../../core/ed25519.ts'
import { type Genesis, genesisHash, genesisToJson } from '../../core/genesis.ts'
import { inclusionPath, leafHash, merkleRoot } from '../../core/merkle.ts'
import { encodeGatewayRegistration, type GatewayRegistration } from '../../core/payloads.ts'
import { type ProofBundle, toProofBundle } from '../../core/proof.ts'
import { encodeRecord, type StampedRecord } from '../../core/record.ts'
import { type SealedBatch, sealBatch } from '../../core/seal.ts'
import { type SignedTx, signTx, TX_TYPES } from '../../core/transaction.ts'

/**
 * One fixed, fully deterministic little chain: the keys are the RFC 8032 §7.1 test seeds, so every byte below
 * (Ed25519 is deterministic) is reproducible by anyone. Vectors, proof tests and the bench all build on it.
 */
export const SEEDS = {
  /** RFC 8032 §7.1 TEST 1 */
  gateway: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  /** RFC 8032 §7.1 TEST 2 */
  producer: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
  /** RFC 8032 §7.1 TEST 3 */
  authority: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
} as const

export const keys = (): { gateway: KeyPair; producer: KeyPair; authority: KeyPair } => ({
  gateway: keyPairFromSeed(fromHex(SEEDS.gateway)),
  producer: keyPairFromSeed(fromHex(SEEDS.producer)),
  authority: keyPairFromSeed(fromHex(SEEDS.authority)),
})

export const CHAIN_ID = 'stele-vectors'
export const GENESIS_TIME = 1_700_000_000_000
export const BLOCK_TIME = 1_700_000_001_000

export interface Scenario {
  keys: ReturnType<typeof keys>
  genesis: Genesis
  registration: GatewayRegistration
  registrationTx: SignedTx
  records: StampedRecord[]
  recordBytes: Uint8Array[]
  batches: SealedBatch[]
  txs: SignedTx[]
  block: SignedBlockHeader
  /** Proof of records[PROOF_RECORD] (batch 1, tx index 1 of 3). */
  bundle: ProofBundle
}

/** The record whose proof the scenario's bundle carries: index 1 of batch 1. */
export const PROOF_RECORD = 1

export function scenarioRecords(gateway: Uint8Array): StampedRecord[] {
  const t = GENESIS_TIME + 100
  return [
    {
      gateway,
      seq: 1,
      time: t,
      logical: 0,
      device: 'boiler-1',
      sensor: 'temp',
      value: 21.5,
      unit: 'C',
      deviceSeq: 41,
      deviceTime: t - 10,
      source: 'mqtt',
    },
    {
      gateway,
      seq: 2,
      time: t,
      logical: 1,
      device: 'boiler-1',
      sensor: 'humidity',
      value: 48.25,
      unit: '%',
      deviceSeq: 42,
      source: 'mqtt',
    },
    {
      gateway,
      seq: 3,
      time: t + 5,
      logical: 0,
      device: 'door-7',
      sensor: 'open',
      value: 1,
      source: 'serial',
    },
    {
      gateway,
      seq: 4,
      time: t + 7,
      logical: 0,
      device: 'lab:bench.3',
      sensor: 'lux',
      value: -0.125,
      unit: 'lx',
      deviceTime: 123_456,
      source: 'firmata',
    },
    {
      gateway,
      seq: 5,
      time: t + 9,
      logical: 0,
      device: 'boiler-1',
      sensor: 'temp',
      value: 21.75,
      unit: '°C',
      source: 'sim',
    },
    // Batch 2: one record, so the batch chain (prevHash) shows.
    {
      gateway,
      seq: 6,
      time: t + 20,
      logical: 0,
      device: 'door-7',
      sensor: 'open',
      value: 0,
      source: 'serial',
    },
  ]
}

export function buildScenario(): Scenario {
  const k = keys()
  const genesis: Genesis = {
    chainId: CHAIN_ID,
    time: GENESIS_TIME,
    producers: [k.producer.publicKey],
    authority: k.authority.publicKey,
  }
  const registration: GatewayRegistration = {
    gateway: k.gateway.publicKey,
    name: 'gw-vectors',
    devices: ['boiler-1', 'door-7', 'lab:bench.3'],
  }
  const registrationTx = signTx(
    {
      type: TX_TYPES.GATEWAY_REGISTER,
      chainId: CHAIN_ID,
      signer: k.authority.publicKey,
      nonce: 1,
      payload: encodeGatewayRegistration(registration),
    },
    k.authority.secretKey,
  )
  const records = scenarioRecords(k.gateway.publicKey)
  const recordBytes = records.map(encodeRecord)
  const b1 = sealBatch({
    chainId: CHAIN_ID,
    gateway: k.gateway,
    seq: 1,
    prevHash: ZERO_HASH,
    records: recordBytes.slice(0, 5),
    firstRecordSeq: 1,
    minTime: records[0]!.time,
    maxTime: records[4]!.time,
  })
  const b2 = sealBatch({
    chainId: CHAIN_ID,
    gateway: k.gateway,
    seq: 2,
    prevHash: batchHeaderHash(b1.headerBytes),
    records: recordBytes.slice(5),
    firstRecordSeq: 6,
    minTime: records[5]!.time,
    maxTime: records[5]!.time,
  })
  const txs = [registrationTx, b1.tx, b2.tx]
  const txLeaves = txs.map((t) => leafHash(t.hash))
  const block = signBlockHeader(
    {
      chainId: CHAIN_ID,
      height: 1,
      prevHash: genesisHash(genesis),
      time: BLOCK_TIME,
      txRoot: merkleRoot(txLeaves),
      txCount: txs.length,
      producer: k.producer.publicKey,
    },
    k.producer.secretKey,
  )
  const recordLeaves = recordBytes.slice(0, 5).map(leafHash)
  const bundle = toProofBundle({
    record: recordBytes[PROOF_RECORD]!,
    recordIndex: PROOF_RECORD,
    recordPath: inclusionPath(recordLeaves, PROOF_RECORD),
    batchTx: b1.tx.bytes,
    txIndex: 1,
    txPath: inclusionPath(txLeaves, 1),
    blockHeader: block.header,
    blockSignature: block.signature,
    genesis: genesisToJson(genesis),
  })
  return {
    keys: k,
    genesis,
    registration,
    registrationTx,
    records,
    recordBytes,
    batches: [b1, b2],
    txs,
    block,
    bundle,
  }
}

/** A record as plain JSON: bytes as lowercase hex, optional fields only when present. */
export function recordToJson(r: StampedRecord): { [k: string]: unknown } {
  const o: { [k: string]: unknown } = {
    gateway: toHex(r.gateway),
    seq: r.seq,
    time: r.time,
    logical: r.logical,
    device: r.device,
    sensor: r.sensor,
    value: r.value,
  }
  if (r.unit !== undefined) o.unit = r.unit
  o.source = r.source
  if (r.deviceSeq !== undefined) o.deviceSeq = r.deviceSeq
  if (r.deviceTime !== undefined) o.deviceTime = r.deviceTime
  return o
}
