import { SteleError } from '../../core/errors.ts'

/**
 * A position in the node's live stream. Readings are ordered by acceptance: `seq` numbers the accepted batch (the
 * `a:` index) and `index` is the last record of that batch already delivered; blocks are ordered by `height`. One
 * cursor covers both, so a client subscribed to readings and confirmations resumes both from one string.
 * Written `seq.index.height` in decimal, e.g. `1042.17.88`; `0.0.0` is "before everything".
 */
export interface Cursor {
  seq: number
  index: number
  height: number
}

export const START: Cursor = { seq: 0, index: 0, height: 0 }

const CURSOR_RE = /^(\d{1,15})\.(\d{1,9})\.(\d{1,15})$/

export function encodeCursor(c: Cursor): string {
  return `${c.seq}.${c.index}.${c.height}`
}

export function parseCursor(text: string): Cursor {
  const m = CURSOR_RE.exec(text.trim())
  if (!m)
    throw new SteleError(
      'STELE_BAD_CURSOR',
      `stream cursor ${JSON.stringify(text.slice(0, 40))} is not seq.index.height; use the cursor of the last event you received, or 0.0.0 for everything`,
    )
  return { seq: Number(m[1]), index: Number(m[2]), height: Number(m[3]) }
}

/** Whether reading (seq, index) comes after the reading position of `c`. */
export function readingAfter(seq: number, index: number, c: Cursor): boolean {
  return seq > c.seq || (seq === c.seq && index > c.index)
}

/** The later of two cursors on each axis. */
export function maxCursor(a: Cursor, b: Cursor): Cursor {
  const readings = readingAfter(b.seq, b.index, a) ? b : a
  return { seq: readings.seq, index: readings.index, height: Math.max(a.height, b.height) }
}

/** Refuses a cursor past the node's own position: it was issued by another node or chain. */
export function checkNotAhead(c: Cursor, live: Cursor): void {
  if (readingAfter(c.seq, c.index, live) || c.height > live.height)
    throw new SteleError(
      'STELE_BAD_CURSOR',
      `stream cursor ${encodeCursor(c)} is ahead of this node (${encodeCursor(live)}); it was issued by another node or chain`,
    )
}
