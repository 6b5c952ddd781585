/**
 * The client's end of circuits (docs/presence.md §5): CREATE to the entry, then EXTEND through the hops built so
 * far, one handshake per hop; afterwards relay cells are wrapped in one layer per hop forward and unwrapped hop by
 * hop backward. Any cell that fails to open, any unexpected command and any step that outlives its timeout tears
 * the circuit down.
 */
import { SteleError } from '../errors.ts'
import type { Timers } from '../timers.ts'
import {
  type Cell,
  CMD,
  DESTROY_REASON,
  decodeCell,
  decodeRelay,
  encodeCell,
  encodeRelay,
  freshCircId,
  RELAY,
} from './cell.ts'
import { Reassembler, sendWhole } from './fragment.ts'
import { type ClientHandshake, finishHandshake, startHandshake } from './handshake.ts'
import { type LayerState, openLayer, sealLayer } from './onion.ts'
import type { CellTransport, NodeInfo } from './transport.ts'

export interface CircuitOptions {
  timers: Timers
  random: (n: number) => Uint8Array
  /** How long one CREATE or EXTEND may take (default 5 s). */
  stepTimeoutMs?: number
}

export interface CircuitHandlers {
  onRelay(command: number, data: Uint8Array): void
  onClose(reason: number): void
}

interface Pending {
  handshake: ClientHandshake
  resolve: () => void
  reject: (e: SteleError) => void
  timer: unknown
}

export class ClientCircuit {
  readonly path: NodeInfo[] = []
  private readonly hops: { forward: LayerState; backward: LayerState }[] = []
  private pending: Pending | undefined
  private closed = false
  private nextMsgId = 1
  private readonly joiner: Reassembler
  handlers: CircuitHandlers = { onRelay() {}, onClose() {} }

  constructor(
    private readonly owner: ClientCircuits,
    readonly entry: string,
    readonly circId: number,
  ) {
    this.joiner = new Reassembler({ timers: owner.timers })
  }

  get isOpen(): boolean {
    return !this.closed
  }

  get length(): number {
    return this.hops.length
  }

  /** Adds `node` as the next hop: CREATE for the first, EXTEND through the others after. */
  addHop(node: NodeInfo): Promise<void> {
    if (this.closed) return Promise.reject(this.owner.closedError(this.circId))
    if (this.pending)
      return Promise.reject(new SteleError('STELE_CIRCUIT_FAILED', 'a hop is already being added'))
    const handshake = startHandshake(node.id, this.owner.random(32))
    return new Promise<void>((resolve, reject) => {
      const timer = this.owner.timers.set(() => {
        this.pending = undefined
        reject(new SteleError('STELE_CIRCUIT_FAILED', `hop ${this.hops.length + 1} did not answer in time`))
        this.destroy(DESTROY_REASON.TIMEOUT)
      }, this.owner.stepTimeoutMs)
      this.pending = { handshake, resolve, reject, timer }
      this.path.push(node)
      if (this.hops.length === 0)
        this.owner.transport.send(this.entry, encodeCell(this.circId, CMD.CREATE, handshake.request))
      else this.send(RELAY.EXTEND, handshake.request)
    })
  }

  /** Sends one relay command to the last hop: in one cell, or in FRAGMENTs when `data` is larger. */
  send(command: number, data: Uint8Array): void {
    if (this.closed) throw this.owner.closedError(this.circId)
    sendWhole(
      (cmd, d) => this.sendCell(cmd, d),
      command,
      data,
      () => this.nextMsgId++,
    )
  }

  /** Wraps one relay cell for the last hop in a layer per hop, innermost first, and sends it to the entry. */
  private sendCell(command: number, data: Uint8Array): void {
    let onion = encodeRelay(command, data)
    for (let i = this.hops.length - 1; i >= 0; i--) onion = sealLayer(this.hops[i]!.forward, onion)
    this.owner.transport.send(this.entry, encodeCell(this.circId, CMD.RELAY, onion))
  }

  /** Tears the circuit down (DESTROY towards the hops unless they tore it down first). */
  destroy(reason: number, notifyHops = true): void {
    if (this.closed) return
    this.closed = true
    this.joiner.clear()
    this.owner.forget(this)
    if (notifyHops)
      this.owner.transport.send(this.entry, encodeCell(this.circId, CMD.DESTROY, Uint8Array.of(reason)))
    if (this.pending) {
      this.owner.timers.clear(this.pending.timer)
      this.pending.reject(
        new SteleError('STELE_CIRCUIT_FAILED', `circuit closed while adding hop ${this.path.length}`),
      )
      this.pending = undefined
    }
    this.handlers.onClose(reason)
  }

  private hopAdded(reply: Uint8Array): void {
    const p = this.pending!
    this.pending = undefined
    this.owner.timers.clear(p.timer)
    let keys: ReturnType<typeof finishHandshake>
    try {
      keys = finishHandshake(p.handshake, reply)
    } catch (e) {
      p.reject(e as SteleError)
      this.destroy(DESTROY_REASON.PROTOCOL)
      return
    }
    this.hops.push({
      forward: { key: keys.forward, counter: 0 },
      backward: { key: keys.backward, counter: 0 },
    })
    p.resolve()
  }

  /** @internal A cell from the entry on this circuit. */
  receive(cell: Cell): void {
    if (this.closed) return
    if (cell.command === CMD.DESTROY_BACK) {
      this.destroy(cell.payload[0] ?? DESTROY_REASON.PROTOCOL, false)
      return
    }
    if (cell.command === CMD.CREATED && this.pending && this.hops.length === 0) {
      this.hopAdded(cell.payload)
      return
    }
    if (cell.command !== CMD.RELAY_BACK || this.hops.length === 0) {
      this.destroy(DESTROY_REASON.PROTOCOL)
      return
    }
    let plain: Uint8Array | undefined = cell.payload
    for (const hop of this.hops) {
      plain = openLayer(hop.backward, plain)
      if (!plain) {
        this.destroy(DESTROY_REASON.PROTOCOL)
        return
      }
    }
    let relay: { command: number; data: Uint8Array }
    try {
      relay = decodeRelay(plain)
    } catch {
      this.destroy(DESTROY_REASON.PROTOCOL)
      return
    }
    if (relay.command === RELAY.EXTENDED) {
      if (!this.pending) {
        this.destroy(DESTROY_REASON.PROTOCOL)
        return
      }
      this.hopAdded(relay.data)
      return
    }
    if (this.pending) {
      this.destroy(DESTROY_REASON.PROTOCOL)
      return
    }
    if (relay.command === RELAY.FRAGMENT) {
      let whole: ReturnType<Reassembler['push']>
      try {
        whole = this.joiner.push(relay.data)
      } catch {
        this.destroy(DESTROY_REASON.PROTOCOL)
        return
      }
      if (whole) this.handlers.onRelay(whole.command, whole.data)
      return
    }
    this.handlers.onRelay(relay.command, relay.data)
  }
}

/** A client's circuits over one transport: builds them and routes each incoming cell to its circuit. */
export class ClientCircuits {
  readonly timers: Timers
  readonly random: (n: number) => Uint8Array
  readonly stepTimeoutMs: number
  private readonly byLink = new Map<string, ClientCircuit>()

  constructor(
    readonly transport: CellTransport,
    opts: CircuitOptions,
  ) {
    this.timers = opts.timers
    this.random = opts.random
    this.stepTimeoutMs = opts.stepTimeoutMs ?? 5000
    transport.onMessage((peer, bytes) => {
      let cell: Cell
      try {
        cell = decodeCell(bytes)
      } catch {
        return // not a cell: nothing on this link can be trusted to name a circuit
      }
      this.byLink.get(`${peer}/${cell.circId}`)?.receive(cell)
    })
    transport.onPeerClosed((peer) => {
      for (const c of [...this.byLink.values()])
        if (c.entry === peer) c.destroy(DESTROY_REASON.UNREACHABLE, false)
    })
  }

  /** Builds a circuit through `path` (entry first), hop by hop; rejects and tears down on any failure. */
  async build(path: NodeInfo[]): Promise<ClientCircuit> {
    if (path.length === 0) throw new SteleError('STELE_BAD_REQUEST', 'a circuit needs at least one hop')
    const entry = path[0]!.peer
    const circId = freshCircId(this.random, (id) => this.byLink.has(`${entry}/${id}`))
    const c = new ClientCircuit(this, entry, circId)
    this.byLink.set(`${entry}/${circId}`, c)
    try {
      for (const node of path) await c.addHop(node)
    } catch (cause) {
      const hop = c.path.length - 1
      c.destroy(DESTROY_REASON.PROTOCOL)
      throw new SteleError('STELE_CIRCUIT_FAILED', `circuit build failed at hop ${hop + 1}`, {
        cause,
        details: { hop },
      })
    }
    return c
  }

  /** @internal */
  forget(c: ClientCircuit): void {
    this.byLink.delete(`${c.entry}/${c.circId}`)
  }

  /** @internal */
  closedError(circId: number): SteleError {
    return new SteleError('STELE_CIRCUIT_FAILED', `circuit ${circId} is closed`)
  }
}
