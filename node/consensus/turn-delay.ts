/**
 * When a producer seals block h: the in-turn producer at the interval after its parent; any other producer that
 * may sign later by a delay seeded from (height, key), so out-of-turn producers do not all race at once and every
 * node computes the same schedule (Clique draws it at random; a seed makes it testable and replayable).
 */
import { ByteWriter, fromHex, utf8 } from '../../core/bytes.ts'
import { sha256 } from '../../core/hash.ts'
import { inTurnProducer, maySign, recentsLimit, type Snapshot } from './snapshot.ts'

export interface TurnTiming {
  /** The block interval: the in-turn producer seals at parent time + this. */
  intervalMs: number
  /** Clique's wiggle unit: out-of-turn producers wait one unit more, plus up to floor(n/2)+1 units seeded. */
  wiggleMs: number
}

const WIGGLE_DOMAIN = utf8('stele:wiggle:v1')

/** The seeded part of the delay, in [0, span): from the first 6 bytes of sha256(domain | height | key). */
export function seededWiggle(height: number, producer: string, span: number): number {
  if (span <= 0) return 0
  const d = sha256(
    new ByteWriter(64)
      .bytes(WIGGLE_DOMAIN)
      .u64(height)
      .bytes(fromHex(producer, 'producer', 32))
      .finish(),
  )
  const x =
    (d[0] as number) * 2 ** 40 +
    (d[1] as number) * 2 ** 32 +
    new DataView(d.buffer, d.byteOffset).getUint32(2)
  return x % span
}

/**
 * Milliseconds after the parent's time at which `producer` seals the block after `snap`, or undefined when it may not
 * sign it (no producer, or signed recently).
 */
export function sealDelay(snap: Snapshot, producer: string, t: TurnTiming): number | undefined {
  if (!maySign(snap, producer)) return undefined
  const height = snap.height + 1
  if (inTurnProducer(snap, height) === producer) return t.intervalMs
  const span = recentsLimit(snap.producers.length) * t.wiggleMs
  return t.intervalMs + t.wiggleMs + seededWiggle(height, producer, span)
}
