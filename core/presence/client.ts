/**
 * A presence client (docs/presence.md §5–8): keeps one circuit (entry, middle, presence node, three distinct
 * nodes from the chain's list) with a registration at its far end, renews the registration before it lapses, and
 * rebuilds the circuit with backoff when it fails, steering clear for a while of the nodes that failed. Messages
 * go out as SEND over the circuit and come in as DELIVER; subscriptions come in as EVENT.
 */
import { type BackoffOptions, backoffDelay } from '../backoff.ts'
import { equalBytes, toHex } from '../bytes.ts'
import { SteleError } from '../errors.ts'
import { type Logger, silentLogger } from '../logger.ts'
import type { Timers } from '../timers.ts'
import { DESTROY_REASON, MAX_HOPS, RELAY, STATUS } from './cell.ts'
import { type ClientCircuit, ClientCircuits } from './circuit.ts'
import { decodeEnvelope, type Envelope, signEnvelope, verifyEnvelope } from './envelope.ts'
import { signRegistration } from './registration.ts'
import type { CellTransport, NodeInfo } from './transport.ts'

export type PresenceState =
  | { state: 'building' }
  | { state: 'registered'; presenceNode: Uint8Array; expiry: number }
  | { state: 'down'; error: SteleError }
  | { state: 'stopped' }

export interface PresenceClientInit {
  /** The client's account key pair (Ed25519; the chain must know the public key). */
  account: { publicKey: Uint8Array; secretKey: Uint8Array }
  /** The nodes the chain lists; read at each build. */
  nodes(): NodeInfo[]
  transport: CellTransport
  timers: Timers
  random: (n: number) => Uint8Array
  /** How long each registration runs (default 60 s). */
  ttlMs?: number
  /** How often the registration is renewed (default a third of ttlMs). */
  keepAliveMs?: number
  /** How long a hop, a registration or a send may take to answer (default 5 s). */
  stepTimeoutMs?: number
  backoff?: Partial<BackoffOptions>
  /** How long a node that failed is avoided (default 30 s). */
  suspectMs?: number
  /** Presence nodes to avoid (those of this client's other registrations). */
  avoid?: () => Uint8Array[]
  onMessage?(e: Envelope): void
  onEvent?(subId: number, data: Uint8Array): void
  onState?(s: PresenceState): void
  logger?: Logger
}

interface Waiter {
  resolve: (status: number) => void
  timer: unknown
}

const u32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0)

export class PresenceClient {
  private readonly circuits: ClientCircuits
  private circuit: ClientCircuit | undefined
  private running = false
  private attempt = 0
  private retryTimer: unknown
  private keepAliveTimer: unknown
  private registration: Waiter | undefined
  private readonly sends = new Map<number, Waiter>()
  private nextReq = 1
  private nextSub = 1
  private readonly suspects = new Map<string, number>()
  private current: PresenceState = { state: 'stopped' }
  private readonly log: Logger
  private readonly ttlMs: number
  private readonly stepMs: number

  constructor(private readonly init: PresenceClientInit) {
    this.ttlMs = init.ttlMs ?? 60_000
    this.stepMs = init.stepTimeoutMs ?? 5000
    this.log = init.logger ?? silentLogger
    this.circuits = new ClientCircuits(init.transport, {
      timers: init.timers,
      random: init.random,
      stepTimeoutMs: this.stepMs,
    })
  }

  get state(): PresenceState {
    return this.current
  }

  /** The nodes of the current circuit, entry first (for tests and status output). */
  get path(): NodeInfo[] {
    return this.circuit?.isOpen ? [...this.circuit.path] : []
  }

  start(): void {
    if (this.running) return
    this.running = true
    void this.connect()
  }

  stop(): void {
    this.running = false
    this.init.timers.clear(this.retryTimer)
    this.init.timers.clear(this.keepAliveTimer)
    this.circuit?.destroy(DESTROY_REASON.REQUESTED)
    this.circuit = undefined
    this.setState({ state: 'stopped' })
  }

  /** Sends `data` to the client whose account key is `to`; resolves once a presence node put it on its circuit. */
  async send(to: Uint8Array, data: Uint8Array): Promise<void> {
    const c = this.openCircuit()
    const e = signEnvelope(
      { from: this.init.account.publicKey, to, time: this.init.timers.now(), data },
      this.init.account.secretKey,
    )
    const reqId = this.nextReq++
    const out = new Uint8Array(4 + e.bytes.length)
    new DataView(out.buffer).setUint32(0, reqId)
    out.set(e.bytes, 4)
    const status = await this.wait(
      (w) => this.sends.set(reqId, w),
      () => this.sends.delete(reqId),
      () => c.send(RELAY.SEND, out),
    )
    if (status === STATUS.NOT_FOUND)
      throw new SteleError('STELE_NOT_FOUND', 'no presence record of the recipient led to its circuit')
    if (status !== STATUS.OK)
      throw new SteleError('STELE_BAD_REQUEST', `the presence node refused the message (status ${status})`)
  }

  /** Asks the presence node to forward events matching `filter`; returns the subscription id EVENTs carry. */
  subscribe(filter: string): number {
    const subId = this.nextSub++
    const f = new TextEncoder().encode(filter)
    const out = new Uint8Array(4 + f.length)
    new DataView(out.buffer).setUint32(0, subId)
    out.set(f, 4)
    this.openCircuit().send(RELAY.SUBSCRIBE, out)
    return subId
  }

  unsubscribe(subId: number): void {
    const out = new Uint8Array(4)
    new DataView(out.buffer).setUint32(0, subId)
    this.openCircuit().send(RELAY.UNSUBSCRIBE, out)
  }

  private openCircuit(): ClientCircuit {
    const c = this.circuit
    if (!c?.isOpen || this.current.state !== 'registered')
      throw new SteleError(
        'STELE_CIRCUIT_FAILED',
        'no registered presence circuit; wait for the client to register',
      )
    return c
  }

  private setState(s: PresenceState): void {
    this.current = s
    this.init.onState?.(s)
  }

  private wait(put: (w: Waiter) => void, remove: () => void, act: () => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const timer = this.init.timers.set(() => {
        remove()
        reject(new SteleError('STELE_CIRCUIT_FAILED', 'the presence node did not answer in time'))
      }, this.stepMs)
      put({
        resolve: (status) => {
          this.init.timers.clear(timer)
          remove()
          if (status < 0) reject(new SteleError('STELE_CIRCUIT_FAILED', 'the circuit closed'))
          else resolve(status)
        },
        timer,
      })
      act()
    })
  }

  /** Three distinct nodes, the ones not suspected first, the presence node not one of `avoid`. */
  private pickPath(): NodeInfo[] {
    const now = this.init.timers.now()
    for (const [k, until] of this.suspects) if (until <= now) this.suspects.delete(k)
    const nodes = [...this.init.nodes()]
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = u32(this.init.random(4)) % (i + 1)
      ;[nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!]
    }
    const avoid = this.init.avoid?.() ?? []
    const avoided = (n: NodeInfo): boolean => avoid.some((a) => equalBytes(a, n.id))
    const rank = (n: NodeInfo): number => (this.suspects.has(toHex(n.id)) ? 1 : 0)
    const order = nodes
      .map((n, i) => ({ n, i }))
      .sort((a, b) => rank(a.n) - rank(b.n) || a.i - b.i)
      .map((x) => x.n)
    const presence = order.find((n) => !avoided(n)) ?? order[0]
    if (!presence || order.length < MAX_HOPS)
      throw new SteleError(
        'STELE_UNAVAILABLE',
        `a circuit needs ${MAX_HOPS} nodes; the list has ${order.length}`,
      )
    const others = order.filter((n) => n !== presence).slice(0, MAX_HOPS - 1)
    return [...others, presence]
  }

  private suspect(nodes: NodeInfo[]): void {
    const until = this.init.timers.now() + (this.init.suspectMs ?? 30_000)
    for (const n of nodes) this.suspects.set(toHex(n.id), until)
  }

  private retry(error: SteleError): void {
    if (!this.running) return
    this.setState({ state: 'down', error })
    const random = (): number => u32(this.init.random(4)) / 0x1_0000_0000
    const delay = backoffDelay(this.attempt++, this.init.backoff ?? {}, random)
    this.log.info({ err: error.message, delay }, 'presence: circuit down; rebuilding')
    this.init.timers.clear(this.retryTimer)
    this.retryTimer = this.init.timers.set(() => void this.connect(), delay)
  }

  private async connect(): Promise<void> {
    if (!this.running) return
    this.setState({ state: 'building' })
    let path: NodeInfo[]
    try {
      path = this.pickPath()
    } catch (e) {
      return this.retry(e as SteleError)
    }
    let c: ClientCircuit
    try {
      c = await this.circuits.build(path)
    } catch (e) {
      const err = e as SteleError
      const hop = err.details?.hop
      this.suspect(typeof hop === 'number' && path[hop] ? [path[hop]] : path)
      return this.retry(err)
    }
    if (!this.running) return c.destroy(DESTROY_REASON.REQUESTED)
    this.circuit = c
    c.handlers = {
      onRelay: (command, data) => this.onRelay(command, data),
      onClose: (reason) => {
        if (this.circuit !== c) return
        this.circuit = undefined
        this.init.timers.clear(this.keepAliveTimer)
        this.registration?.resolve(-1)
        for (const w of [...this.sends.values()]) w.resolve(-1)
        if (reason !== DESTROY_REASON.REQUESTED) this.suspect(path)
        this.retry(new SteleError('STELE_CIRCUIT_FAILED', `circuit closed (reason ${reason})`))
      },
    }
    await this.register(c)
  }

  private async register(c: ClientCircuit): Promise<void> {
    const presenceNode = c.path[c.path.length - 1]!.id
    const expiry = this.init.timers.now() + this.ttlMs
    const reg = signRegistration(
      { clientKey: this.init.account.publicKey, presenceNode, expiry, nonce: this.init.random(16) },
      this.init.account.secretKey,
    )
    let status: number
    try {
      status = await this.wait(
        (w) => (this.registration = w),
        () => (this.registration = undefined),
        () => c.send(RELAY.REGISTER, reg.bytes),
      )
    } catch {
      if (this.circuit === c) c.destroy(DESTROY_REASON.TIMEOUT)
      return
    }
    if (this.circuit !== c) return
    if (status !== STATUS.OK) {
      this.log.warn({ status }, 'presence: registration refused')
      const code =
        status === STATUS.UNKNOWN_ACCOUNT ? 'the chain does not know this account' : `status ${status}`
      c.handlers.onClose = () => {}
      c.destroy(DESTROY_REASON.REQUESTED)
      this.circuit = undefined
      return this.retry(new SteleError('STELE_PRESENCE_REFUSED', `registration refused: ${code}`))
    }
    this.attempt = 0
    this.setState({ state: 'registered', presenceNode, expiry })
    this.init.timers.clear(this.keepAliveTimer)
    this.keepAliveTimer = this.init.timers.set(
      () => void this.register(c),
      this.init.keepAliveMs ?? this.ttlMs / 3,
    )
  }

  private onRelay(command: number, data: Uint8Array): void {
    switch (command) {
      case RELAY.REGISTERED:
        this.registration?.resolve(data[0] ?? STATUS.REFUSED)
        return
      case RELAY.SEND_RESULT:
        if (data.length === 5) this.sends.get(u32(data))?.resolve(data[4]!)
        return
      case RELAY.DELIVER: {
        let e: Envelope
        try {
          e = decodeEnvelope(data.slice())
        } catch {
          return
        }
        if (verifyEnvelope(e) && equalBytes(e.to, this.init.account.publicKey)) this.init.onMessage?.(e)
        return
      }
      case RELAY.EVENT:
        if (data.length >= 4) this.init.onEvent?.(u32(data), data.slice(4))
        return
    }
  }
}
