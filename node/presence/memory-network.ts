/**
 * An in-memory network of cell transports for tests and the bench: FIFO delivery on a microtask, one address per
 * endpoint, `kill` to take a node off the network (its neighbours hear onPeerClosed, as a dropped connection),
 * `tamper` to change cells on the wire, and a log of every delivery.
 */
import type { CellTransport } from '../../core/presence/transport.ts'

export interface Delivery {
  from: string
  to: string
  bytes: Uint8Array
}

interface Endpoint {
  onMessage: ((peer: string, cell: Uint8Array) => void)[]
  onPeerClosed: ((peer: string) => void)[]
  /** Addresses this endpoint has exchanged cells with: those hear when it goes. */
  peers: Set<string>
}

export class MemoryNetwork {
  private readonly endpoints = new Map<string, Endpoint>()
  private readonly queue: (() => void)[] = []
  private draining = false
  /** Every delivered cell, when `record` is set. */
  readonly log: Delivery[] = []
  record = false
  /** Changes (or passes) each cell on the wire; return undefined to drop it. */
  tamper: ((d: Delivery) => Uint8Array | undefined) | undefined

  endpoint(address: string): CellTransport {
    const ep: Endpoint = { onMessage: [], onPeerClosed: [], peers: new Set() }
    this.endpoints.set(address, ep)
    return {
      send: (peer, cell) => this.send(address, peer, cell),
      onMessage: (h) => ep.onMessage.push(h),
      onPeerClosed: (h) => ep.onPeerClosed.push(h),
    }
  }

  /** Delivers `bytes` as if `from` had sent them (tests: replays, forged cells). */
  inject(from: string, to: string, bytes: Uint8Array): void {
    this.send(from, to, bytes)
  }

  /** Takes `address` off the network: queued cells to it are lost, its neighbours hear it went. */
  kill(address: string): void {
    const ep = this.endpoints.get(address)
    if (!ep) return
    this.endpoints.delete(address)
    for (const p of ep.peers) {
      const other = this.endpoints.get(p)
      if (other) this.post(() => this.closed(other, address))
    }
  }

  private closed(ep: Endpoint, peer: string): void {
    ep.peers.delete(peer)
    for (const h of ep.onPeerClosed) h(peer)
  }

  private send(from: string, to: string, bytes: Uint8Array): void {
    const copy = bytes.slice()
    this.post(() => {
      const src = this.endpoints.get(from)
      if (!src) return
      const dst = this.endpoints.get(to)
      if (!dst) return this.closed(src, to) // nothing listens there: as a refused connection
      src.peers.add(to)
      dst.peers.add(from)
      const out = this.tamper ? this.tamper({ from, to, bytes: copy }) : copy
      if (!out) return
      if (this.record) this.log.push({ from, to, bytes: out })
      for (const h of dst.onMessage) h(from, out)
    })
  }

  private post(fn: () => void): void {
    this.queue.push(fn)
    if (this.draining) return
    this.draining = true
    queueMicrotask(() => this.drain())
  }

  private drain(): void {
    for (let i = 0; i < this.queue.length; i++) {
      try {
        this.queue[i]!()
      } catch (e) {
        // A handler's bug must not stall the network; it still surfaces as an uncaught error.
        queueMicrotask(() => {
          throw e
        })
      }
    }
    this.queue.length = 0
    this.draining = false
  }
}
