/**
 * The equivocation evidence transaction (type 15, docs/protocol.md §9.8): any account may record on chain that a
 * producer signed two blocks at one height. Payload: amount fee | evidence (consensus/equivocation.ts encoding).
 * The state keeps one leaf per offence, under namespace 6 keyed by producer and height, holding the evidence hash,
 * so the same offence is recorded once whoever reports it.
 */
import { readAmount, writeAmount } from '../../core/amount.ts'
import { ByteReader, ByteWriter } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { sha256 } from '../../core/hash.ts'
import { stateKey } from '../../core/state-map.ts'
import {
  decodeEvidence,
  type EquivocationEvidence,
  encodeEvidence,
  verifyEquivocation,
} from './equivocation.ts'

export const TX_EQUIVOCATION_EVIDENCE = 15
/** State namespace of recorded offences. */
export const EVIDENCE_NS = 6

export interface EvidencePayload {
  fee: bigint
  evidence: EquivocationEvidence
}

export function encodeEvidencePayload(p: EvidencePayload): Uint8Array {
  const w = new ByteWriter(600)
  writeAmount(w, p.fee, 'evidence: fee')
  return w.bytes(encodeEvidence(p.evidence)).finish()
}

export function decodeEvidencePayload(bytes: Uint8Array): EvidencePayload {
  const rd = new ByteReader(bytes, 'evidence payload')
  const fee = readAmount(rd, 'fee')
  return { fee, evidence: decodeEvidence(new Uint8Array(rd.bytes(rd.remaining, 'evidence'))) }
}

/** The state key of the offence of `producer` (32 bytes) at `height`. */
export function offenceKey(producer: Uint8Array, height: number): Uint8Array {
  return stateKey(EVIDENCE_NS, new ByteWriter(40).bytes(producer).u64(height).finish())
}

/** Checks the evidence against the producer set; returns the offence's state key and the value to record. */
export function checkEvidence(
  p: EvidencePayload,
  producers: readonly string[],
  recorded: (key: Uint8Array) => boolean,
): { key: Uint8Array; value: Uint8Array; producer: string; height: number } {
  const v = verifyEquivocation(p.evidence, producers)
  if (!v.ok) throw new SteleError('STELE_TX_INVALID', `equivocation evidence: ${v.reason}`)
  const key = offenceKey(Buffer.from(v.producer, 'hex'), v.height)
  if (recorded(key))
    throw new SteleError(
      'STELE_TX_INVALID',
      `equivocation of ${v.producer} at ${v.height} is already recorded`,
    )
  return { key, value: sha256(encodeEvidence(p.evidence)), producer: v.producer, height: v.height }
}
