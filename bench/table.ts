export interface Row {
  benchmark: string
  stele: number
  ceiling: number
  target: string
  unit?: string
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2))

/** Prints benchmark rows with Stele's figure, the same-run ceiling or peer, and their ratio. */
export function printTable(title: string, rows: Row[]): void {
  const lines = rows.map((r) => [
    r.benchmark,
    fmt(r.stele),
    fmt(r.ceiling),
    (r.stele / r.ceiling).toFixed(2),
    r.target,
  ])
  const head = ['benchmark', 'stele', 'ceiling/peer', 'ratio', 'target']
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  console.log(`\n${title}`)
  console.log(row(head))
  console.log(row(widths.map((w) => '-'.repeat(w))))
  for (const l of lines) console.log(row(l))
}
