import type { ByteReader, ByteWriter } from './bytes.ts'
import { SteleError } from './errors.ts'

/**
 * Currency amounts are bigint base units over the full u64 range. Not the 2^53-bounded `u64` of the other
 * structures: with 9 decimals, 2^53 base units are only 9 million coins, so a safe-integer bound would cap the
 * supply at a size real chains exceed; bigint keeps every sum exact, and JSON carries amounts as decimal strings.
 */
export const MAX_AMOUNT = (1n << 64n) - 1n

export function assertAmount(v: unknown, field: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > MAX_AMOUNT)
    throw new SteleError('STELE_BAD_ENCODING', `${field}: expected an integer amount in 0 … 2^64 − 1`)
  return v
}

export function writeAmount(w: ByteWriter, v: bigint, field: string): ByteWriter {
  assertAmount(v, field)
  return w.u32(Number(v >> 32n)).u32(Number(v & 0xffff_ffffn))
}

export function readAmount(rd: ByteReader, field: string): bigint {
  const hi = rd.u32(field)
  const lo = rd.u32(field)
  return (BigInt(hi) << 32n) | BigInt(lo)
}

const DECIMAL_RE = /^(0|[1-9][0-9]{0,19})$/

/** Parses an amount from its JSON form: a decimal string without sign, leading zeros or exponent. */
export function parseAmount(s: unknown, field: string): bigint {
  if (typeof s !== 'string' || !DECIMAL_RE.test(s))
    throw new SteleError('STELE_BAD_ENCODING', `${field}: expected a decimal string of base units`)
  return assertAmount(BigInt(s), field)
}

/** Base units as coins with `decimals` digits after the point, trailing zeros dropped: 1500000, 6 -> "1.5". */
export function formatCoins(v: bigint, decimals: number): string {
  const s = v.toString().padStart(decimals + 1, '0')
  const whole = s.slice(0, s.length - decimals)
  const frac = s.slice(s.length - decimals).replace(/0+$/, '')
  return frac ? `${whole}.${frac}` : whole
}

/** Coins written as a decimal ("1.5") to base units; refuses more fraction digits than `decimals`. */
export function parseCoins(s: string, decimals: number, field: string): bigint {
  const m = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(s)
  if (!m || (m[2]?.length ?? 0) > decimals)
    throw new SteleError(
      'STELE_BAD_AMOUNT',
      `${field}: expected a decimal amount with at most ${decimals} digits after the point`,
    )
  const frac = (m[2] ?? '').padEnd(decimals, '0')
  const v = BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(frac || '0')
  if (v > MAX_AMOUNT) throw new SteleError('STELE_BAD_AMOUNT', `${field}: larger than 2^64 − 1 base units`)
  return v
}
