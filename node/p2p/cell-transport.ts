/**
 * Presence cells over libp2p (docs/presence.md §10): the protocol `/stele/<chainId>/cells/1.0.0`, one long-lived
 * stream per neighbour carrying length-prefixed 512-byte cells. The link address the circuit code sees is the
 * neighbour's peer id. A stream is opened on the first cell to a peer and kept; cells queued meanwhile go out in
 * order. A stream that ends, fails or carries anything but a cell closes the link: the relay and client hear
 * onPeerClosed and tear down the circuits on it.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import { SteleError } from '../../core/errors.ts'
import { type Logger, silentLogger } from '../../core/logger.ts'
import { CELL_SIZE } from '../../core/presence/cell.ts'
import type { CellTransport } from '../../core/presence/transport.ts'

/** The cells protocol of one chain: nodes of another chain do not carry these circuits. */
export const cellsProtocol = (chainId: string): string => `/stele/${chainId}/cells/1.0.0`

const LP_OPTS = { maxDataLength: CELL_SIZE }
/** Cells queued to one peer before the link counts as stuck and is closed (about 2 MB). */
const MAX_QUEUE = 4096

interface Link {
  peer: string
  lp?: LengthPrefixedStream<Stream>
  stream?: Stream
  queue: Uint8Array[]
  writing: boolean
  closed: boolean
}

export interface Libp2pCellTransportInit {
  chainId: string
  logger?: Logger
  /** How long opening a stream to a neighbour may take (default 5 s). */
  dialTimeoutMs?: number
}

export class Libp2pCellTransport implements CellTransport {
  readonly protocol: string
  private readonly links = new Map<string, Link>()
  private readonly messageHandlers: ((peer: string, cell: Uint8Array) => void)[] = []
  private readonly closedHandlers: ((peer: string) => void)[] = []
  private readonly log: Logger
  private started = false

  constructor(
    private readonly init: Libp2pCellTransportInit,
    private readonly host: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>,
  ) {
    this.protocol = cellsProtocol(init.chainId)
    this.log = init.logger ?? silentLogger
  }

  async start(): Promise<void> {
    if (this.started) return
    await this.host.handle(
      this.protocol,
      (stream, connection) => this.accept(stream, connection.remotePeer),
      {
        maxInboundStreams: 4,
      },
    )
    this.started = true
  }

  async stop(): Promise<void> {
    if (this.started) await this.host.unhandle(this.protocol)
    this.started = false
    for (const l of [...this.links.values()]) this.close(l, false)
  }

  onMessage(handler: (peer: string, cell: Uint8Array) => void): void {
    this.messageHandlers.push(handler)
  }

  onPeerClosed(handler: (peer: string) => void): void {
    this.closedHandlers.push(handler)
  }

  send(peer: string, cell: Uint8Array): void {
    let l = this.links.get(peer)
    if (!l) {
      l = { peer, queue: [], writing: false, closed: false }
      this.links.set(peer, l)
      void this.dial(l)
    }
    if (l.queue.length >= MAX_QUEUE) {
      this.log.warn({ peer }, 'presence: cell link stuck; closing it')
      this.close(l, true)
      return
    }
    l.queue.push(cell.slice())
    this.pump(l)
  }

  private async dial(l: Link): Promise<void> {
    let id: PeerId
    try {
      id = peerIdFromString(l.peer)
    } catch {
      return this.close(l, true)
    }
    try {
      const stream = await this.host.dialProtocol(id, this.protocol, {
        signal: AbortSignal.timeout(this.init.dialTimeoutMs ?? 5000),
      })
      if (l.closed) return stream.abort(new SteleError('STELE_UNAVAILABLE', 'cell link closed'))
      this.attach(l, stream)
    } catch (err) {
      this.log.debug({ err, peer: l.peer }, 'presence: cannot open a cell stream')
      this.close(l, true)
    }
  }

  private accept(stream: Stream, remote: PeerId): void {
    const peer = remote.toString()
    const l = this.links.get(peer)
    // Both sides may dial at once: the link keeps the stream it has, and reads from both.
    if (l?.stream) return void this.read(l, lpStream(stream, LP_OPTS), stream)
    const link = l ?? { peer, queue: [], writing: false, closed: false }
    this.links.set(peer, link)
    this.attach(link, stream)
  }

  private attach(l: Link, stream: Stream): void {
    l.stream = stream
    l.lp = lpStream(stream, LP_OPTS)
    void this.read(l, l.lp, stream)
    this.pump(l)
  }

  private async read(l: Link, lp: LengthPrefixedStream<Stream>, stream: Stream): Promise<void> {
    try {
      for (;;) {
        const frame = await lp.read()
        if (frame.byteLength !== CELL_SIZE)
          throw new SteleError('STELE_BAD_ENCODING', `a frame of ${frame.byteLength} bytes is no cell`)
        const cell = new Uint8Array(frame.subarray())
        for (const h of this.messageHandlers) h(l.peer, cell)
        if (l.closed) return
      }
    } catch (err) {
      if (!l.closed) this.log.debug({ err, peer: l.peer }, 'presence: cell stream ended')
      stream.abort(err as Error)
      if (l.stream === stream || !l.stream) this.close(l, true)
    }
  }

  private pump(l: Link): void {
    if (l.writing || !l.lp || l.closed) return
    l.writing = true
    const lp = l.lp
    void (async () => {
      try {
        while (l.queue.length > 0 && !l.closed) {
          const batch = l.queue.splice(0, 64)
          await lp.writeV(batch)
        }
      } catch (err) {
        this.log.debug({ err, peer: l.peer }, 'presence: cell write failed')
        this.close(l, true)
      } finally {
        l.writing = false
      }
      if (l.queue.length > 0) this.pump(l)
    })()
  }

  private close(l: Link, notify: boolean): void {
    if (l.closed) return
    l.closed = true
    if (this.links.get(l.peer) === l) this.links.delete(l.peer)
    l.queue.length = 0
    l.stream?.abort(new SteleError('STELE_UNAVAILABLE', 'cell link closed'))
    if (notify) for (const h of this.closedHandlers) h(l.peer)
  }
}
