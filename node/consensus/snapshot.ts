/**
 * Proof of authority with Clique's rules (EIP-225), as pure functions over a snapshot of the producer set (genesis
 * plus registered producers: producer-set.ts) and the recent signers, apart from networking and storage (go-ethereum consensus/clique/snapshot.go).
 *
 * The producers are sorted by key bytes; the in-turn producer of height h is producers[h mod n] and its block
 * weighs 2 (Clique's difficulty), any other producer's weighs 1. A producer signs at most one block in any
 * floor(n/2)+1 consecutive blocks (the recents window), so no minority can run the chain alone.
 */
import { toHex } from '../../core/bytes.ts'

export const WEIGHT_IN_TURN = 2
export const WEIGHT_OUT_OF_TURN = 1

export interface Snapshot {
  readonly chainId: string
  /** Producer keys as lowercase hex, sorted: the order decides whose turn it is. */
  readonly producers: readonly string[]
  /** The block this snapshot is taken after (0 = genesis). */
  readonly height: number
  readonly hash: Uint8Array
  readonly time: number
  /** Producer of each of the last blocks by height (recentsKept): those of the last floor(n/2) may not sign next. */
  readonly recents: ReadonlyMap<number, string>
  /** Sum of the weights of the blocks from genesis to this one: the fork choice compares it first. */
  readonly totalWeight: number
}

export interface GenesisPoint {
  chainId: string
  /** Producer public keys (32 bytes each), in any order. */
  producers: Uint8Array[]
  /** The genesis hash: block 1's prevHash. */
  hash: Uint8Array
  time: number
}

export function genesisSnapshot(g: GenesisPoint): Snapshot {
  const producers = [...new Set(g.producers.map(toHex))].sort()
  if (producers.length === 0) throw new RangeError('a chain needs at least one producer')
  return {
    chainId: g.chainId,
    producers,
    height: 0,
    hash: g.hash,
    time: g.time,
    recents: new Map(),
    totalWeight: 0,
  }
}

/** How many consecutive blocks a producer signs at most one of: floor(n/2)+1. */
export const recentsLimit = (n: number): number => Math.floor(n / 2) + 1

/**
 * How many of the last blocks' signers a snapshot keeps: the window of the set signing the next block, and at least
 * 64, so a set that grows (registrations) widens its window over signers still held (exact up to 129 producers).
 * Entries past the window are never read (signedRecently looks only inside it).
 */
export const recentsKept = (n: number): number => Math.max(recentsLimit(n) - 1, 64)

export function inTurnProducer(snap: Pick<Snapshot, 'producers'>, height: number): string {
  return snap.producers[height % snap.producers.length] as string
}

export function isProducer(snap: Pick<Snapshot, 'producers'>, producer: string): boolean {
  return snap.producers.includes(producer)
}

/** 2 for the in-turn producer of `height`, 1 for any other. */
export function blockWeight(snap: Pick<Snapshot, 'producers'>, height: number, producer: string): number {
  return inTurnProducer(snap, height) === producer ? WEIGHT_IN_TURN : WEIGHT_OUT_OF_TURN
}

/**
 * Whether `producer` signed one of the blocks that keep it from signing block snap.height+1 (Clique's
 * "signed recently"): the window is the last floor(n/2) blocks.
 */
export function signedRecently(snap: Snapshot, producer: string): boolean {
  const next = snap.height + 1
  const limit = recentsLimit(snap.producers.length)
  for (const [height, signer] of snap.recents) if (signer === producer && height > next - limit) return true
  return false
}

/** Whether `producer` may sign the block after the snapshot at all: a producer, not signed recently. */
export function maySign(snap: Snapshot, producer: string): boolean {
  return isProducer(snap, producer) && !signedRecently(snap, producer)
}
