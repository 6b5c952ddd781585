import { SteleError } from '../../core/errors.ts'
import type { ReadingQuery } from './query.ts'

const CURSOR_PREFIX = 'c1.'

/** A cursor names its position and the order and sensor of its query, so it cannot resume another query. */
export function encodeCursor(key: string, index: number, q: ReadingQuery): string {
  const json = JSON.stringify([key, index, q.order, q.sensor ?? null])
  return CURSOR_PREFIX + Buffer.from(json, 'utf8').toString('base64url')
}

export function decodeCursor(
  cursor: string,
  prefix: string,
  q: ReadingQuery,
): { key: string; index: number } {
  const bad = (why: string) => new SteleError('STELE_BAD_CURSOR', `cursor ${why}; start again without it`)
  if (!cursor.startsWith(CURSOR_PREFIX)) throw bad('was not issued by this node')
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8'))
  } catch {
    throw bad('is damaged')
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || !Number.isSafeInteger(parsed[1]))
    throw bad('is damaged')
  if (!parsed[0].startsWith(prefix) || parsed[2] !== q.order || parsed[3] !== (q.sensor ?? null))
    throw bad('belongs to another device, sensor or order')
  return { key: parsed[0], index: parsed[1] }
}

/** First index whose key is >= `k` (keys ascending). */
export function lowerBound(keys: readonly string[], k: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid]! < k) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** First index whose key is > `k`. */
export function upperBound(keys: readonly string[], k: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid]! <= k) lo = mid + 1
    else hi = mid
  }
  return lo
}
