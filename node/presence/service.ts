/**
 * The presence node (docs/presence.md §6–8): the endpoint of client circuits. It checks a client's signed
 * registration (signature, this node named, expiry within maxTtlMs, the key known to the chain), announces it,
 * lets it lapse at its expiry unless a later registration (the keep-alive) replaces it, and withdraws it when the
 * circuit closes. It carries messages: SEND from a client is looked up and handed to the recipient's presence
 * node(s), freshest record first; a message handed to this node goes down the recipient's circuit as DELIVER.
 * It forwards subscriptions: events from the source go down the circuit that asked.
 */
import { equalBytes, toHex } from '../../core/bytes.ts'
import { type Logger, silentLogger } from '../../core/logger.ts'
import { RELAY, STATUS } from '../../core/presence/cell.ts'
import { decodeEnvelope, type Envelope, verifyEnvelope } from '../../core/presence/envelope.ts'
import { MESSAGE_MAX } from '../../core/presence/fragment.ts'
import {
  decodeRegistration,
  presenceDhtKey,
  type SignedRegistration,
  selectPresence,
  verifyRegistration,
} from '../../core/presence/registration.ts'
import type { Timers } from '../../core/timers.ts'
import type { Announcer, EventSource } from './announcer.ts'
import type { CircuitEnd, CircuitEndpoint } from './relay.ts'

export interface PresenceServiceInit {
  /** This node's Ed25519 ledger key: registrations must name it. */
  nodeId: Uint8Array
  isKnownAccount(key: Uint8Array): boolean | Promise<boolean>
  announcer: Announcer
  /** Hands a message to another presence node (phase 2: a libp2p protocol); true once it went down a circuit. */
  forward(presenceNode: Uint8Array, envelope: Uint8Array): Promise<boolean>
  events?: EventSource
  timers: Timers
  /** The longest a registration may run ahead of now (default 10 minutes). */
  maxTtlMs?: number
  logger?: Logger
}

/** The largest event forwarded: with its subId, one fragmented EVENT (docs/presence.md §8); larger are dropped. */
export const EVENT_MAX = MESSAGE_MAX - 4

interface Held {
  reg: SignedRegistration
  circuit: CircuitEnd
  timer: unknown
}

const u32 = (b: Uint8Array, at = 0): number =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at)
const withU32 = (n: number, rest: Uint8Array = new Uint8Array(0)): Uint8Array => {
  const out = new Uint8Array(4 + rest.length)
  new DataView(out.buffer).setUint32(0, n)
  out.set(rest, 4)
  return out
}

export class PresenceService implements CircuitEndpoint {
  private readonly held = new Map<string, Held>()
  private readonly subs = new Map<CircuitEnd, Map<number, () => void>>()
  private readonly maxTtlMs: number
  private readonly log: Logger
  /** Events larger than EVENT_MAX, dropped. */
  droppedEvents = 0

  constructor(private readonly init: PresenceServiceInit) {
    this.maxTtlMs = init.maxTtlMs ?? 600_000
    this.log = init.logger ?? silentLogger
  }

  get registrations(): number {
    return this.held.size
  }

  onRelay(circuit: CircuitEnd, command: number, data: Uint8Array): void {
    switch (command) {
      case RELAY.REGISTER:
        void this.register(circuit, data)
        return
      case RELAY.SEND:
        if (data.length < 4) {
          circuit.close()
          return
        }
        void this.send(circuit, u32(data), data.subarray(4))
        return
      case RELAY.SUBSCRIBE:
        if (data.length < 4) {
          circuit.close()
          return
        }
        this.subscribe(circuit, u32(data), data.subarray(4))
        return
      case RELAY.UNSUBSCRIBE: {
        if (data.length !== 4) {
          circuit.close()
          return
        }
        const subs = this.subs.get(circuit)
        subs?.get(u32(data))?.()
        subs?.delete(u32(data))
        return
      }
      default:
        circuit.close() // a command only a client reads, sent to the node: not a client we can trust
    }
  }

  onClose(circuit: CircuitEnd): void {
    for (const [k, h] of this.held) if (h.circuit === circuit) this.drop(k, h)
    for (const off of this.subs.get(circuit)?.values() ?? []) off()
    this.subs.delete(circuit)
  }

  /** A message for one of this node's clients (from a SEND here or another presence node's forward). */
  deliver(envelope: Uint8Array): boolean {
    let e: Envelope
    try {
      e = decodeEnvelope(envelope)
    } catch {
      return false
    }
    if (!verifyEnvelope(e)) return false
    const h = this.held.get(toHex(e.to))
    if (!h || h.reg.expiry <= this.init.timers.now() || !h.circuit.isOpen) return false
    h.circuit.send(RELAY.DELIVER, envelope)
    return true
  }

  stop(): void {
    for (const [k, h] of this.held) this.drop(k, h)
    for (const c of [...this.subs.keys()]) this.onClose(c)
  }

  private reply(circuit: CircuitEnd, status: number, expiry: number): void {
    const out = new Uint8Array(9)
    out[0] = status
    const view = new DataView(out.buffer)
    view.setUint32(1, Math.floor(expiry / 0x1_0000_0000))
    view.setUint32(5, expiry >>> 0)
    circuit.send(RELAY.REGISTERED, out)
  }

  private async register(circuit: CircuitEnd, data: Uint8Array): Promise<void> {
    let reg: SignedRegistration
    try {
      reg = decodeRegistration(data.slice())
    } catch {
      return this.reply(circuit, STATUS.REFUSED, 0)
    }
    const now = this.init.timers.now()
    if (
      !equalBytes(reg.presenceNode, this.init.nodeId) ||
      reg.expiry <= now ||
      reg.expiry > now + this.maxTtlMs ||
      !verifyRegistration(reg)
    )
      return this.reply(circuit, STATUS.REFUSED, reg.expiry)
    if (!(await this.init.isKnownAccount(reg.clientKey)))
      return this.reply(circuit, STATUS.UNKNOWN_ACCOUNT, reg.expiry)
    if (!circuit.isOpen) return
    const k = toHex(reg.clientKey)
    const old = this.held.get(k)
    if (old && old.reg.expiry >= reg.expiry) return this.reply(circuit, STATUS.STALE, reg.expiry)
    if (old) this.drop(k, old)
    const timer = this.init.timers.set(() => {
      const h = this.held.get(k)
      if (h?.reg === reg) this.drop(k, h)
    }, reg.expiry - now)
    this.held.set(k, { reg, circuit, timer })
    try {
      await this.init.announcer.announce(presenceDhtKey(reg.clientKey), reg.bytes, reg.expiry)
    } catch (err) {
      this.log.warn({ err }, 'presence: announce failed; the registration holds here until it lapses')
    }
    this.reply(circuit, STATUS.OK, reg.expiry)
  }

  private drop(k: string, h: Held): void {
    this.init.timers.clear(h.timer)
    this.held.delete(k)
    this.init.announcer.withdraw(presenceDhtKey(h.reg.clientKey), h.reg.bytes).catch((err: unknown) => {
      this.log.warn({ err }, 'presence: withdraw failed; the record lapses at its expiry')
    })
  }

  private async send(circuit: CircuitEnd, reqId: number, envelope: Uint8Array): Promise<void> {
    const result = (status: number): void => {
      if (circuit.isOpen) circuit.send(RELAY.SEND_RESULT, withU32(reqId, Uint8Array.of(status)))
    }
    let e: Envelope
    try {
      e = decodeEnvelope(envelope.slice())
    } catch {
      return result(STATUS.BAD_MESSAGE)
    }
    if (!verifyEnvelope(e)) return result(STATUS.BAD_MESSAGE)
    let records: Uint8Array[] = []
    try {
      records = await this.init.announcer.lookup(presenceDhtKey(e.to))
    } catch (err) {
      this.log.warn({ err }, 'presence: lookup failed')
    }
    for (const r of selectPresence(records, e.to, this.init.timers.now())) {
      const ok = equalBytes(r.presenceNode, this.init.nodeId)
        ? this.deliver(e.bytes)
        : await this.init.forward(r.presenceNode, e.bytes).catch(() => false)
      if (ok) return result(STATUS.OK)
    }
    result(STATUS.NOT_FOUND)
  }

  private subscribe(circuit: CircuitEnd, subId: number, filter: Uint8Array): void {
    const source = this.init.events
    if (!source) {
      this.log.debug({ circuit: circuit.id }, 'presence: no event source; subscription ignored')
      return
    }
    let subs = this.subs.get(circuit)
    if (!subs) {
      subs = new Map()
      this.subs.set(circuit, subs)
    }
    subs.get(subId)?.()
    const off = source.subscribe(new TextDecoder().decode(filter), (data) => {
      if (!circuit.isOpen) return
      if (data.length > EVENT_MAX) {
        this.droppedEvents++
        return
      }
      circuit.send(RELAY.EVENT, withU32(subId, data)) // in fragments when over one cell
    })
    subs.set(subId, off)
  }
}
