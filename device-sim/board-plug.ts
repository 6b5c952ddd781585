import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { SteleError } from '../core/errors.ts'
import { openSerialPort, type SerialLink } from '../firmware-bridge/serial-link.ts'
import type { MemorySerialHub } from './memory-link.ts'
import { createPtyPair } from './pty.ts'

/** Anything with a UART: the line-protocol board and the Firmata board. */
export interface Pluggable {
  attach(link: SerialLink): void
  detach(): void
}

/** One cable: the path the gateway opens, the board's end, and a way to yank it. */
export interface Wire {
  readonly gatewayPath: string
  readonly board: SerialLink
  unplug(): Promise<void>
}

export type WireFactory = (name: string, o?: { signal?: AbortSignal }) => Promise<Wire>

/**
 * Wires made of socat pty pairs. The gateway end is `<dir>/<name>`; the board end lives in `<dir>/.boards/`,
 * so a gateway scanning `<dir>/<prefix>*` for renamed boards never opens a board's own end.
 */
export function ptyWires(dir: string, opts: { socatPath?: string; baudRate?: number } = {}): WireFactory {
  mkdirSync(join(dir, '.boards'), { recursive: true })
  return async (name, o = {}) => {
    const pair = await createPtyPair({
      dir,
      names: [name, join('.boards', name)],
      ...(opts.socatPath !== undefined ? { socatPath: opts.socatPath } : {}),
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
    })
    try {
      const board = await openSerialPort({ path: pair.b, baudRate: opts.baudRate ?? 115_200 }, o)
      return {
        gatewayPath: pair.a,
        board,
        unplug: async () => {
          await board.close()
          await pair.close()
        },
      }
    } catch (e) {
      await pair.close()
      throw e
    }
  }
}

/** Wires on an in-process hub: the fallback when socat is missing. Paths look like `sim://<name>`. */
export function memoryWires(hub: MemorySerialHub, prefix = 'sim://'): WireFactory {
  return async (name) => {
    const wire = hub.plug(`${prefix}${name}`)
    return { gatewayPath: wire.path, board: wire.board, unplug: () => wire.unplug() }
  }
}

/** Plugs a board into a wire, unplugs it, plugs it back (under the same or another name). */
export class BoardPlug {
  private wire: Wire | null = null
  private name: string

  constructor(
    private readonly board: Pluggable,
    private readonly wires: WireFactory,
    name: string,
  ) {
    this.name = name
  }

  /** The path the gateway opens, or null while unplugged. */
  get path(): string | null {
    return this.wire?.gatewayPath ?? null
  }

  async plug(name?: string, o: { signal?: AbortSignal } = {}): Promise<string> {
    if (this.wire) throw new SteleError('STELE_CONFIG', `board already plugged at ${this.wire.gatewayPath}`)
    if (name !== undefined) this.name = name
    const wire = await this.wires(this.name, o)
    this.wire = wire
    this.board.attach(wire.board)
    return wire.gatewayPath
  }

  async unplug(): Promise<void> {
    const wire = this.wire
    if (!wire) return
    this.wire = null
    this.board.detach()
    await wire.unplug()
  }
}
