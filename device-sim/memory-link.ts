import { Duplex } from 'node:stream'
import { SteleError } from '../core/errors.ts'
import type { OpenSerial, SerialLink } from '../firmware-bridge/serial-link.ts'

/**
 * An in-process stand-in for a pty pair, for machines without socat and for unit tests. It behaves like the
 * pty: the board end lives as long as the wire; the gateway opens and closes its end by path as often as it
 * likes (one opener at a time); bytes the board writes while no gateway end is open are lost, as on a real
 * line; unplugging closes both ends and makes the path vanish.
 */
export interface MemoryWire {
  readonly path: string
  readonly board: SerialLink
  unplug(): Promise<void>
}

export interface MemorySerialHub {
  /** Connectors use this instead of serialport's opener. */
  readonly openSerial: OpenSerial
  /** Creates a wire whose gateway end is opened by `path`. */
  plug(path: string): MemoryWire
  has(path: string): boolean
}

function endpoint(path: string, onWrite: (chunk: Uint8Array) => void, onDestroy: () => void): SerialLink {
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      onWrite(new Uint8Array(chunk))
      cb()
    },
    destroy(err, cb) {
      onDestroy()
      cb(err)
    },
  })
  stream.on('error', () => {})
  const close = (): Promise<void> =>
    new Promise<void>((res) => {
      if (stream.destroyed) return res()
      stream.once('close', () => res())
      stream.destroy()
    })
  return { path, stream, close }
}

export function createMemorySerialHub(): MemorySerialHub {
  const wires = new Map<string, { gateway: SerialLink | null; board: SerialLink }>()

  const plug = (path: string): MemoryWire => {
    if (wires.has(path)) throw new SteleError('STELE_CONFIG', `memory serial path ${path} is already plugged`)
    const state: { gateway: SerialLink | null; board: SerialLink } = {
      gateway: null,
      board: endpoint(
        `${path}#board`,
        (chunk) => state.gateway?.stream.push(Buffer.from(chunk)),
        () => {
          // Board end gone: the wire is unplugged.
          if (wires.get(path) === state) wires.delete(path)
          void state.gateway?.close()
        },
      ),
    }
    wires.set(path, state)
    return { path, board: state.board, unplug: () => state.board.close() }
  }

  const openSerial: OpenSerial = async ({ path }, o = {}) => {
    if (o.signal?.aborted) throw o.signal.reason
    const state = wires.get(path)
    if (!state) throw new SteleError('STELE_UNAVAILABLE', `serial ${path}: no such device`)
    if (state.gateway) throw new SteleError('STELE_UNAVAILABLE', `serial ${path}: already open`)
    const link = endpoint(
      path,
      (chunk) => {
        if (!state.board.stream.destroyed) state.board.stream.push(Buffer.from(chunk))
      },
      () => {
        if (state.gateway === link) state.gateway = null
      },
    )
    state.gateway = link
    return link
  }

  return { openSerial, plug, has: (p) => wires.has(p) }
}
