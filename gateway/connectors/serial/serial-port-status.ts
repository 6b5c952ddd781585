import { realpathSync } from 'node:fs'
import type { SerialMatch } from './serial-discovery.ts'

/** One board the connector looks after: where to find it and how fast it talks. */
export interface SerialPortConfig {
  /** Label in logs and status; defaults to the board id or path. */
  name?: string
  /** Tried first when it exists. */
  path?: string
  /** How to find the board elsewhere (it was renamed, or no path is known). */
  match?: SerialMatch & {
    /** Only a board whose HELLO carries this id is accepted on this port. */
    boardId?: string
  }
  baudRate?: number
}

export interface PortStatus {
  name: string
  path: string | null
  connected: boolean
  boardId: string | null
  boot: number | null
  frames: number
  readings: number
  crcErrors: number
  oversize: number
  malformed: number
  /** Resends of frames already delivered: dropped, re-acknowledged. */
  duplicates: number
  /** Frames that arrived before an earlier, still missing one: buffered (or dropped when too far ahead). */
  outOfOrder: number
  /** Frames the board dropped before the gateway got them (counted by sequence gap). */
  lost: number
  /** Data frames that arrived before a HELLO said whose they were. */
  unannounced: number
  /** Data frames refused while the sink was too far behind (backpressure; the board resends). */
  deferred: number
  pushErrors: number
  connects: number
  lastFrameAt: number | null
  lastError: string | null
}

export function initialPortStatus(name: string): PortStatus {
  return {
    name,
    path: null,
    connected: false,
    boardId: null,
    boot: null,
    frames: 0,
    readings: 0,
    crcErrors: 0,
    oversize: 0,
    malformed: 0,
    duplicates: 0,
    outOfOrder: 0,
    lost: 0,
    unannounced: 0,
    deferred: 0,
    pushErrors: 0,
    connects: 0,
    lastFrameAt: null,
    lastError: null,
  }
}

/** The device behind a path (by-id links and /dev/ttyACM0 name the same board); the path itself if not a file. */
export function deviceKey(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}
