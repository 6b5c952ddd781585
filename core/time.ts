import { SteleError } from './errors.ts'

/** The latest instant a JavaScript Date can hold (ms): beyond it no ISO form exists to return. */
export const MAX_TIME_MS = 8_640_000_000_000_000

const EPOCH_MS = /^\d{1,16}$/
// YYYY-MM-DD, then optionally THH:MM[:SS[.fraction]] and a zone (Z or ±HH:MM), which a time of day must carry.
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):(\d{2})))?$/

/**
 * The one time rule for everything a device or a client sends (MQTT `ts`, query `from`/`to`). Accepted:
 *  - epoch milliseconds as a non-negative integer: a JSON number, or a string of 1-16 decimal digits;
 *  - ISO 8601 date and time with an explicit zone, `YYYY-MM-DDTHH:MM[:SS[.fraction]]` then `Z` or `±HH:MM`
 *    (fraction beyond milliseconds is truncated);
 *  - a calendar date alone, `YYYY-MM-DD`, meaning 00:00 UTC that day.
 * A time of day without a zone is refused: read as local time, it would mean another instant on every machine.
 * The result is epoch milliseconds in 0..MAX_TIME_MS; anything else throws STELE_BAD_TIME naming `field`.
 */
export function parseTime(input: unknown, field = 'time'): number {
  const t =
    typeof input === 'number' ? fromNumber(input) : typeof input === 'string' ? fromString(input) : undefined
  if (t === undefined || t < 0 || t > MAX_TIME_MS)
    throw new SteleError(
      'STELE_BAD_TIME',
      `${field}: ${describe(input)} is neither epoch milliseconds (a non-negative integer) nor an ISO 8601 time with a zone`,
      { details: { field } },
    )
  return t
}

function fromNumber(n: number): number | undefined {
  return Number.isSafeInteger(n) ? n : undefined
}

function fromString(s: string): number | undefined {
  if (EPOCH_MS.test(s)) return Number(s)
  const m = ISO.exec(s)
  if (!m) return undefined
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', , sign, zh = '00', zm = '00'] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59 || Number(zh) > 23 || Number(zm) > 59)
    return undefined
  const ms = Number(frac.padEnd(3, '0').slice(0, 3))
  const offset = (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm)) * 60_000
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const at = new Date(0)
  at.setUTCFullYear(year, month - 1, day)
  at.setUTCHours(Number(h), Number(mi), Number(sec), ms)
  return at.getTime() - offset
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

function describe(input: unknown): string {
  const s = typeof input === 'string' || typeof input === 'number' ? JSON.stringify(input) : typeof input
  return s.length > 48 ? `${s.slice(0, 45)}...` : s
}
