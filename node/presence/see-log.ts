/**
 * Test hook, off by default: the relay's `see` written to a file, one JSON line per cell a hop received on a
 * circuit, so the privacy test over real processes (test/e2e/presence-network.test.ts) can check what each hop
 * saw. A node writes it only when started with STELE_TEST_SEE_LOG=<file> (docs/presence.md §10); it holds every
 * cell and what the hop decrypted, so no real node sets it.
 */
import { appendFileSync } from 'node:fs'
import { toHex } from '../../core/bytes.ts'
import type { HopSight, Link } from './relay.ts'

export const SEE_LOG_ENV = 'STELE_TEST_SEE_LOG'

/** One line of the log: hex for bytes, and the remote addresses of the link the cell came in on. */
export interface SeenLine {
  from: string
  addrs: string[]
  circId: number
  command: number
  cell: string
  plain?: string
  circuit?: { id: number; prev: Link; next?: Link }
}

/** A `see` hook appending to `file`; `addressesOf` gives the remote addresses of a neighbour's connections. */
export function seeLog(file: string, addressesOf: (peer: string) => string[]): (s: HopSight) => void {
  return (s) => {
    const line: SeenLine = {
      from: s.from,
      addrs: addressesOf(s.from),
      circId: s.circId,
      command: s.command,
      cell: toHex(s.cell),
      ...(s.plain ? { plain: toHex(s.plain) } : {}),
      ...(s.circuit ? { circuit: s.circuit } : {}),
    }
    appendFileSync(file, `${JSON.stringify(line)}\n`)
  }
}
