import { SteleError } from '../../core/errors.ts'

/** A JSON value as it crosses the sandbox boundary: copied, never a host reference. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Deeper values are refused: the encoder recurses, and no contract needs more (docs/contracts.md §6). */
export const MAX_JSON_DEPTH = 64

/**
 * The canonical JSON text of a value (docs/contracts.md §6): no whitespace, object keys sorted by UTF-16 code
 * units (JavaScript's default sort), strings and numbers as JSON.stringify writes them (shortest round-trip
 * numbers, -0 as 0, lone surrogates escaped). Refuses what JSON cannot say exactly: undefined, functions,
 * NaN and infinities, and anything but plain objects and arrays.
 */
export function canonicalJson(value: unknown, field = 'value'): string {
  // The fast encoder builds no paths; a refused value is encoded again by `encode`, which says where.
  return fast(value, 0) ?? encode(value, field, 0)
}

/** The canonical text, or undefined when `encode` would refuse the value. */
function fast(v: unknown, depth: number): string | undefined {
  if (typeof v === 'string') return JSON.stringify(v)
  // A finite number's JSON is its ToString (-0 included).
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined
  if (v === null) return 'null'
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v !== 'object' || depth >= MAX_JSON_DEPTH) return undefined
  if (Array.isArray(v)) {
    let out = '['
    for (let i = 0; i < v.length; i++) {
      const t = fast(v[i], depth + 1)
      if (t === undefined) return undefined
      out += i === 0 ? t : `,${t}`
    }
    return `${out}]`
  }
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) return undefined
  const o = v as Record<string, unknown>
  const keys = Object.keys(o).sort()
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    const t = fast(o[k], depth + 1)
    if (t === undefined) return undefined
    out += `${i === 0 ? '' : ','}${JSON.stringify(k)}:${t}`
  }
  return `${out}}`
}

function encode(v: unknown, path: string, depth: number): string {
  if (depth > MAX_JSON_DEPTH)
    throw new SteleError('STELE_BAD_ENCODING', `${path}: nested deeper than ${MAX_JSON_DEPTH} levels`)
  if (v === null) return 'null'
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(v)) throw new SteleError('STELE_BAD_ENCODING', `${path}: ${v} has no JSON form`)
      return JSON.stringify(v)
    case 'string':
      return JSON.stringify(v)
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x, i) => encode(x, `${path}[${i}]`, depth + 1)).join(',')}]`
      const proto = Object.getPrototypeOf(v)
      if (proto !== Object.prototype && proto !== null)
        throw new SteleError('STELE_BAD_ENCODING', `${path}: only plain objects and arrays are JSON`)
      const o = v as Record<string, unknown>
      const keys = Object.keys(o).sort()
      return `{${keys.map((k) => `${JSON.stringify(k)}:${encode(o[k], `${path}.${k}`, depth + 1)}`).join(',')}}`
    }
    default:
      throw new SteleError('STELE_BAD_ENCODING', `${path}: a ${typeof v} has no JSON form`)
  }
}
