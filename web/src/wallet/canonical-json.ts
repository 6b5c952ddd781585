/**
 * The canonical JSON text of parsed JSON (docs/contracts.md §6): no whitespace, object keys sorted by UTF-16 code
 * units. Values from JSON.parse are plain objects, arrays and finite numbers, so JSON.stringify writes the rest.
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as { [k: string]: unknown })[k])}`)
      .join(',')}}`
  return JSON.stringify(v)
}
