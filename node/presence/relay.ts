/**
 * A node's part in other clients' circuits (docs/presence.md §5): answers CREATE, peels one layer off each
 * forward cell and passes it on, adds one layer to each backward cell, extends to the next node on EXTEND, and
 * hands the relay commands of circuits it ends to an endpoint (the presence service). Circuit ids are per link:
 * each circuit has the id its upstream chose on the inbound link and the id this node chose on the outbound one.
 * A cell that fails its check, or a lost neighbour, tears the circuit down both ways.
 */

import { type Logger, silentLogger } from '../../core/logger.ts'
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
} from '../../core/presence/cell.ts'
import { Reassembler, sendWhole } from '../../core/presence/fragment.ts'
import { answerHandshake } from '../../core/presence/handshake.ts'
import { type LayerState, openLayer, sealLayer } from '../../core/presence/onion.ts'
import type { CellTransport } from '../../core/presence/transport.ts'
import type { Timers } from '../../core/timers.ts'

/** The end of a circuit as the endpoint sees it: no address, no key, only a way back. */
export interface CircuitEnd {
  /** Local number, for logs and maps; means nothing outside this node. */
  readonly id: number
  readonly isOpen: boolean
  send(command: number, data: Uint8Array): void
  close(): void
}

export interface CircuitEndpoint {
  onRelay(circuit: CircuitEnd, command: number, data: Uint8Array): void
  onClose(circuit: CircuitEnd): void
}

/** A circuit's link on one side of a hop: the neighbour and the circuit id on that link. */
export interface Link {
  peer: string
  circId: number
}

/** What a hop saw, for the privacy tests: the link it came from, the raw cell and what it read inside. */
export interface HopSight {
  from: string
  circId: number
  command: number
  cell: Uint8Array
  /** The layer this hop peeled, when it peeled one. */
  plain?: Uint8Array
  /** The circuit's local number and its links, once the cell named a circuit this hop holds. */
  circuit?: { id: number; prev: Link; next?: Link }
}

export interface RelayInit {
  node: { seed: Uint8Array; publicKey: Uint8Array }
  transport: CellTransport
  /** The link address of a node key, for EXTEND (phase 2: the peer id of the key). */
  peerOf(nodeId: Uint8Array): string | undefined
  random: (n: number) => Uint8Array
  /** Times out partial fragmented messages at circuit ends. */
  timers: Timers
  endpoint: CircuitEndpoint
  logger?: Logger
  /** Test hook: called with every cell this node receives on a circuit. */
  see?: (s: HopSight) => void
}

interface HopCircuit extends CircuitEnd {
  prev: Link
  next?: Link
  extending: boolean
  forward: LayerState
  backward: LayerState
  /** Joins the FRAGMENTs a client sends to this circuit's end (made on the first one). */
  joiner?: Reassembler
  nextMsgId: number
}

const sightOf = (c: HopCircuit): NonNullable<HopSight['circuit']> => ({
  id: c.id,
  prev: c.prev,
  ...(c.next ? { next: c.next } : {}),
})

const linkKey = (peer: string, circId: number): string => `${peer}/${circId}`

export class Relay {
  /** Circuits by the link they came in on (forward cells arrive here). */
  private readonly inbound = new Map<string, HopCircuit>()
  /** Circuits by the link this node extended them on (backward cells arrive here). */
  private readonly outbound = new Map<string, HopCircuit>()
  private nextLocal = 1
  private readonly log: Logger

  constructor(private readonly init: RelayInit) {
    this.log = init.logger ?? silentLogger
    init.transport.onMessage((peer, bytes) => this.onCell(peer, bytes))
    init.transport.onPeerClosed((peer) => this.onPeerClosed(peer))
  }

  get circuits(): number {
    return this.inbound.size
  }

  private onCell(peer: string, bytes: Uint8Array): void {
    let cell: Cell
    try {
      cell = decodeCell(bytes)
    } catch (e) {
      this.log.debug({ peer, err: (e as Error).message }, 'presence: refused a malformed cell')
      return
    }
    const forward = cell.command === CMD.CREATE || cell.command === CMD.RELAY || cell.command === CMD.DESTROY
    const c = (forward ? this.inbound : this.outbound).get(linkKey(peer, cell.circId))
    if (cell.command === CMD.CREATE) {
      this.see(peer, cell, bytes, c)
      c ? this.teardown(c, DESTROY_REASON.PROTOCOL) : this.create(peer, cell)
      return
    }
    if (!c) return // unknown circuit: already torn down, or never ours
    if (cell.command !== CMD.RELAY) this.see(peer, cell, bytes, c)
    switch (cell.command) {
      case CMD.RELAY:
        this.relayForward(c, peer, cell, bytes)
        return
      case CMD.RELAY_BACK: {
        const sealed = sealLayer(c.backward, cell.payload)
        this.init.transport.send(c.prev.peer, encodeCell(c.prev.circId, CMD.RELAY_BACK, sealed))
        return
      }
      case CMD.CREATED:
        if (!c.extending) {
          this.teardown(c, DESTROY_REASON.PROTOCOL)
          return
        }
        c.extending = false
        this.sendBack(c, RELAY.EXTENDED, cell.payload)
        return
      case CMD.DESTROY:
        this.teardown(c, cell.payload[0] ?? DESTROY_REASON.PROTOCOL, 'prev')
        return
      case CMD.DESTROY_BACK:
        this.teardown(c, cell.payload[0] ?? DESTROY_REASON.PROTOCOL, 'next')
        return
    }
  }

  private see(peer: string, cell: Cell, bytes: Uint8Array, c?: HopCircuit, plain?: Uint8Array): void {
    this.init.see?.({
      from: peer,
      circId: cell.circId,
      command: cell.command,
      cell: bytes,
      ...(plain ? { plain } : {}),
      ...(c ? { circuit: sightOf(c) } : {}),
    })
  }

  private create(peer: string, cell: Cell): void {
    let answer: ReturnType<typeof answerHandshake>
    try {
      answer = answerHandshake(this.init.node, cell.payload, this.init.random(32))
    } catch (e) {
      this.log.debug({ peer, err: (e as Error).message }, 'presence: refused a CREATE')
      this.init.transport.send(
        peer,
        encodeCell(cell.circId, CMD.DESTROY_BACK, Uint8Array.of(DESTROY_REASON.PROTOCOL)),
      )
      return
    }
    const inbound = this.inbound
    const c: HopCircuit = {
      id: this.nextLocal++,
      prev: { peer, circId: cell.circId },
      extending: false,
      nextMsgId: 1,
      forward: { key: answer.keys.forward, counter: 0 },
      backward: { key: answer.keys.backward, counter: 0 },
      get isOpen() {
        return inbound.get(linkKey(peer, cell.circId)) === c
      },
      send: (command, data) =>
        sendWhole(
          (cmd, d) => this.sendBack(c, cmd, d),
          command,
          data,
          () => c.nextMsgId++,
        ),
      close: () => this.teardown(c, DESTROY_REASON.REQUESTED),
    }
    this.inbound.set(linkKey(peer, cell.circId), c)
    this.init.transport.send(peer, encodeCell(cell.circId, CMD.CREATED, answer.reply))
  }

  private relayForward(c: HopCircuit, peer: string, cell: Cell, bytes: Uint8Array): void {
    const plain = openLayer(c.forward, cell.payload)
    this.see(peer, cell, bytes, c, plain)
    if (!plain) {
      this.log.warn({ circuit: c.id }, 'presence: a relay cell failed its check; circuit torn down')
      this.teardown(c, DESTROY_REASON.PROTOCOL)
      return
    }
    if (c.next) {
      this.init.transport.send(c.next.peer, encodeCell(c.next.circId, CMD.RELAY, plain))
      return
    }
    if (c.extending) {
      this.teardown(c, DESTROY_REASON.PROTOCOL)
      return
    }
    let relay: { command: number; data: Uint8Array }
    try {
      relay = decodeRelay(plain)
    } catch {
      this.teardown(c, DESTROY_REASON.PROTOCOL)
      return
    }
    if (relay.command === RELAY.EXTEND) {
      this.extend(c, relay.data)
      return
    }
    if (relay.command === RELAY.FRAGMENT) {
      this.joinFragment(c, relay.data)
      return
    }
    this.init.endpoint.onRelay(c, relay.command, relay.data)
  }

  /** A FRAGMENT at the circuit's end: joined, the whole goes to the endpoint; a refused one tears the circuit down. */
  private joinFragment(c: HopCircuit, data: Uint8Array): void {
    c.joiner ??= new Reassembler({ timers: this.init.timers })
    let whole: ReturnType<Reassembler['push']>
    try {
      whole = c.joiner.push(data)
    } catch (e) {
      this.log.warn(
        { circuit: c.id, err: (e as Error).message },
        'presence: fragment refused; circuit torn down',
      )
      this.teardown(c, DESTROY_REASON.PROTOCOL)
      return
    }
    if (whole) this.init.endpoint.onRelay(c, whole.command, whole.data)
  }

  private extend(c: HopCircuit, request: Uint8Array): void {
    const nodeId = request.subarray(0, 32)
    const peer = request.length === 64 ? this.init.peerOf(nodeId) : undefined
    if (!peer) {
      this.teardown(c, DESTROY_REASON.UNREACHABLE)
      return
    }
    const circId = freshCircId(this.init.random, (id) => this.outbound.has(linkKey(peer, id)))
    c.next = { peer, circId }
    c.extending = true
    this.outbound.set(linkKey(peer, circId), c)
    this.init.transport.send(peer, encodeCell(circId, CMD.CREATE, request))
  }

  private sendBack(c: HopCircuit, command: number, data: Uint8Array): void {
    if (!this.inbound.has(linkKey(c.prev.peer, c.prev.circId))) return
    const sealed = sealLayer(c.backward, encodeRelay(command, data))
    this.init.transport.send(c.prev.peer, encodeCell(c.prev.circId, CMD.RELAY_BACK, sealed))
  }

  /** Drops the circuit and tells the side(s) that did not tell us. */
  private teardown(c: HopCircuit, reason: number, from?: 'prev' | 'next'): void {
    const key = linkKey(c.prev.peer, c.prev.circId)
    if (this.inbound.get(key) !== c) return
    this.inbound.delete(key)
    c.joiner?.clear()
    if (c.next) this.outbound.delete(linkKey(c.next.peer, c.next.circId))
    const why = Uint8Array.of(reason)
    if (from !== 'prev')
      this.init.transport.send(c.prev.peer, encodeCell(c.prev.circId, CMD.DESTROY_BACK, why))
    if (c.next && from !== 'next')
      this.init.transport.send(c.next.peer, encodeCell(c.next.circId, CMD.DESTROY, why))
    this.init.endpoint.onClose(c)
  }

  private onPeerClosed(peer: string): void {
    for (const c of [...this.inbound.values()]) {
      if (c.prev.peer === peer) this.teardown(c, DESTROY_REASON.UNREACHABLE, 'prev')
      else if (c.next?.peer === peer) this.teardown(c, DESTROY_REASON.UNREACHABLE, 'next')
    }
  }

  /** Tears down every circuit (the node is stopping). */
  stop(): void {
    for (const c of [...this.inbound.values()]) this.teardown(c, DESTROY_REASON.UNREACHABLE)
  }
}
