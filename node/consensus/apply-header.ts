/**
 * Checking a block header against the snapshot of its parent, and the snapshot after it (Clique's
 * Snapshot.apply and verifyCascadingFields). A refusal is a value with a reason, not a throw: sync and gossip turn
 * it into a peer penalty, the scenario table compares it.
 */
import { type SignedBlockHeader, verifyBlockSignature } from '../../core/block.ts'
import { equalBytes, toHex } from '../../core/bytes.ts'
import { sha256 } from '../../core/hash.ts'
import { blockWeight, isProducer, recentsKept, type Snapshot, signedRecently } from './snapshot.ts'

export interface ConsensusParams {
  /** A block's time is at least its parent's plus this (Clique's period; 0: never earlier than its parent). */
  minGapMs: number
  /** A block's time is at most `now` plus this: a producer cannot claim a turn in the future. */
  maxDriftMs: number
}

export const DEFAULT_CONSENSUS: ConsensusParams = { minGapMs: 0, maxDriftMs: 15_000 }

export type RefusalReason =
  | 'wrong-chain'
  | 'not-next'
  | 'bad-hash'
  | 'bad-signature'
  | 'unknown-producer'
  | 'recently-signed'
  | 'too-early'
  | 'future'

export type HeaderVerdict =
  | { ok: true; snapshot: Snapshot; weight: number }
  | { ok: false; reason: RefusalReason; message: string }

const refuse = (reason: RefusalReason, message: string): HeaderVerdict => ({ ok: false, reason, message })

/**
 * The verdict on `h` as the block after `snap`, and the snapshot after it when valid. `now` is the checker's clock
 * (epoch ms), for the drift rule. `next` is the producer set after the block (its registrations applied:
 * consensus/producer-set.ts); by default the block changes none.
 */
export function applyHeader(
  snap: Snapshot,
  h: SignedBlockHeader,
  now: number,
  params: ConsensusParams = DEFAULT_CONSENSUS,
  next: readonly string[] = snap.producers,
): HeaderVerdict {
  if (h.chainId !== snap.chainId)
    return refuse('wrong-chain', `block of chain ${h.chainId}, not ${snap.chainId}`)
  if (h.height !== snap.height + 1 || !equalBytes(h.prevHash, snap.hash))
    return refuse('not-next', `block ${h.height} does not follow block ${snap.height}`)
  if (!equalBytes(sha256(h.header), h.hash))
    return refuse('bad-hash', `block ${h.height}: hash is not of its header`)
  const producer = toHex(h.producer)
  if (!isProducer(snap, producer))
    return refuse('unknown-producer', `block ${h.height}: ${producer} is no producer`)
  if (!verifyBlockSignature(h.header, h.signature, h.producer))
    return refuse('bad-signature', `block ${h.height}: signature does not verify`)
  if (signedRecently(snap, producer))
    return refuse('recently-signed', `block ${h.height}: ${producer} signed one of the last blocks`)
  if (h.time < snap.time + params.minGapMs)
    return refuse('too-early', `block ${h.height}: time ${h.time} is before ${snap.time + params.minGapMs}`)
  if (h.time > now + params.maxDriftMs)
    return refuse('future', `block ${h.height}: time ${h.time} is ahead of now`)

  const weight = blockWeight(snap, h.height, producer)
  const recents = new Map(snap.recents)
  recents.set(h.height, producer)
  // Keep the signers that can still refuse one of a later block (snapshot.ts recentsKept).
  const kept = recentsKept(next.length)
  for (const height of recents.keys()) if (height <= h.height - kept) recents.delete(height)
  return {
    ok: true,
    weight,
    snapshot: {
      chainId: snap.chainId,
      producers: next,
      height: h.height,
      hash: h.hash,
      time: h.time,
      recents,
      totalWeight: snap.totalWeight + weight,
    },
  }
}

/**
 * Applies `headers` in order; stops at the first refusal and says which index it was. `nextProducers(i, before)`
 * gives the producer set after header i (from its block's registrations); by default no block changes it.
 */
export function applyHeaders(
  snap: Snapshot,
  headers: readonly SignedBlockHeader[],
  now: number,
  params: ConsensusParams = DEFAULT_CONSENSUS,
  nextProducers: (i: number, before: readonly string[]) => readonly string[] = (_, before) => before,
):
  | { ok: true; snapshot: Snapshot }
  | { ok: false; index: number; reason: RefusalReason; message: string; snapshot: Snapshot } {
  let s = snap
  for (let i = 0; i < headers.length; i++) {
    const v = applyHeader(s, headers[i] as SignedBlockHeader, now, params, nextProducers(i, s.producers))
    if (!v.ok) return { ok: false, index: i, reason: v.reason, message: v.message, snapshot: s }
    s = v.snapshot
  }
  return { ok: true, snapshot: s }
}
