/**
 * The scaffolding the request/response protocols share (block sync, blocks by CID): the handler registered on
 * start and removed on stop, one stream per request over length-prefixed frames, a deadline on both sides, and the
 * one way failures surface to a caller. Each protocol keeps only its frames (its codec) and what it does with them.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import { SteleError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'

export type RequestResponseComponents = Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>

export interface RequestResponseInit {
  protocol: string
  /** A request not answered whole within this is aborted, on both sides. */
  timeoutMs: number
  maxInboundStreams: number
  /** Frame limits: the largest frame, and what the reader may buffer. */
  maxDataLength: number
  maxBufferSize: number
  logger: Logger
  /** Names the protocol in logs and errors ("sync", "block bafy…"). */
  name: string
}

/** One side of an exchange: frames to read and write, and the deadline (and the caller's abort) as a signal. */
export type Exchange<T> = (lp: LengthPrefixedStream<Stream>, signal: AbortSignal) => Promise<T>

export class RequestResponse {
  private started = false

  constructor(
    private readonly init: RequestResponseInit,
    private readonly components: RequestResponseComponents,
  ) {}

  get protocol(): string {
    return this.init.protocol
  }

  /** Registers `serve`: each inbound stream is one request, closed when served and aborted when it fails. */
  async start(serve: Exchange<void>): Promise<void> {
    if (this.started) return
    const { timeoutMs, maxInboundStreams, logger, name } = this.init
    await this.components.handle(
      this.init.protocol,
      async (stream: Stream) => {
        const signal = AbortSignal.timeout(timeoutMs)
        try {
          await serve(lpStream(stream, this.lpOpts()), signal)
          await stream.close({ signal })
        } catch (err) {
          logger.debug({ err }, `${name}: serving a request failed`)
          stream.abort(err as Error)
        }
      },
      { maxInboundStreams },
    )
    this.started = true
  }

  async stop(): Promise<void> {
    if (!this.started) return
    await this.components.unhandle(this.init.protocol)
    this.started = false
  }

  /**
   * One request to `peer`: `exchange` writes and reads its frames. Rejects with the caller's signal's reason on
   * abort, a SteleError the exchange threw as it is, and STELE_UNAVAILABLE when the peer cannot be reached, breaks
   * off or misses the deadline (`what` names the request in that message).
   */
  async request<T>(
    peer: PeerId | Multiaddr,
    what: string,
    exchange: Exchange<T>,
    opts: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const deadline = AbortSignal.timeout(this.init.timeoutMs)
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline
    let stream: Stream | undefined
    try {
      stream = await this.components.dialProtocol(peer, this.init.protocol, { signal })
      const out = await exchange(lpStream(stream, this.lpOpts()), signal)
      await stream.close({ signal })
      return out
    } catch (err) {
      stream?.abort(err as Error)
      if (opts.signal?.aborted) throw opts.signal.reason
      if (err instanceof SteleError) throw err
      throw new SteleError(
        'STELE_UNAVAILABLE',
        `${what} from ${peer.toString()} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
    }
  }

  private lpOpts() {
    return { maxDataLength: this.init.maxDataLength, maxBufferSize: this.init.maxBufferSize }
  }
}
