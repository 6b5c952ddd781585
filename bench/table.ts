import { appendFileSync } from 'node:fs'

export interface Row {
  benchmark: string
  /** Stele's figure; null when it could not be measured here (see `na`). */
  stele: number | null
  /** The ceiling or peer figure from the same run; null when there is none here (see `na`). */
  ceiling: number | null
  target: string
  unit?: string
  /** What the ceiling or peer is, when the benchmark name does not say. */
  peer?: string
  /** Why a figure is missing ('n/a' and this reason are printed). */
  na?: string
  /** Whether the target is met; undefined for informational rows. */
  met?: boolean
}

export const fmt = (n: number | null): string =>
  n === null ? 'n/a' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2)

export const ratio = (r: Row): string =>
  r.stele === null || r.ceiling === null || r.ceiling === 0 ? '-' : (r.stele / r.ceiling).toFixed(2)

const verdict = (r: Row): string => (r.met === undefined ? '' : r.met ? ' (met)' : ' (MISSED)')

/** Markdown lines of a table of rows: benchmark, Stele, ceiling/peer, ratio, target. */
export function tableLines(rows: readonly Row[]): string[] {
  const lines = rows.map((r) => [
    r.unit ? `${r.benchmark} (${r.unit})` : r.benchmark,
    fmt(r.stele),
    r.peer ? `${fmt(r.ceiling)} ${r.peer}` : fmt(r.ceiling),
    ratio(r),
    r.target + verdict(r) + (r.na ? ` [n/a: ${r.na}]` : ''),
  ])
  const head = ['benchmark', 'stele', 'ceiling/peer', 'ratio', 'target']
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [row(head), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)]
}

/**
 * Prints benchmark rows with Stele's figure, the same-run ceiling or peer, and their ratio. Under `npm run bench`
 * (STELE_BENCH_ROWS names a file) the rows are also appended there as JSON, for the one combined table.
 */
export function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}`)
  for (const l of tableLines(rows)) console.log(l)
  const sink = process.env.STELE_BENCH_ROWS
  if (sink) for (const r of rows) appendFileSync(sink, `${JSON.stringify({ title, ...r })}\n`)
}
