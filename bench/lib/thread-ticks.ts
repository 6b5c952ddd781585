import { readdirSync, readFileSync } from 'node:fs'

/** CPU ticks (10 ms) of a process's main thread and of all its other threads (LevelDB, workers, GC helpers). */
export function threadTicks(pid = process.pid): { main: number; other: number } {
  let main = 0
  let other = 0
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const v = Number(f[11]) + Number(f[12])
      if (Number(t) === pid) main += v
      else other += v
    }
  } catch {} // not Linux: no figures
  return { main, other }
}

/** µs of CPU per item for `ticks` of /proc CPU time (10 ms each) spent on `items` items. */
export function usPer(ticks: number, items: number): number {
  return (ticks * 10_000) / Math.max(1, items)
}
