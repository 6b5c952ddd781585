/**
 * Block-range sync: a node that is behind asks a peer for blocks `from..from+count-1` and gets their stored bytes
 * back in order (layout in block-sync-codec.ts). The server reads from a BlockSource and streams block by block, so
 * a response is never held whole in memory. Verifying and applying the blocks is the caller's (phase 2).
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import { SteleError } from '../../core/errors.ts'
import { type Logger, silentLogger } from '../../core/logger.ts'
import {
  decodeSyncRequest,
  decodeSyncStatus,
  encodeSyncRequest,
  encodeSyncStatus,
  MAX_SYNC_BUFFER,
  MAX_SYNC_FRAME,
  type SyncRequest,
} from './block-sync-codec.ts'
import { chainProtocols } from './protocols.ts'

/** Where the server reads blocks: the node's chain store. */
export interface BlockSource {
  /** The stored bytes of the block at `height`, or undefined above the head. */
  getBlockBytes(height: number, opts?: { signal?: AbortSignal }): Promise<Uint8Array | undefined>
}

export interface BlockSyncInit {
  chainId: string
  /** Absent on a node that only fetches. */
  source?: BlockSource
  /** A request not answered whole within this is aborted, on both sides (default 30 s). */
  timeoutMs?: number
  /** Concurrent inbound requests per connection (default 4). */
  maxInboundStreams?: number
  logger?: Logger
}

export type BlockSyncComponents = Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>

const END = new Uint8Array(0)
const LP_OPTS = { maxDataLength: MAX_SYNC_FRAME, maxBufferSize: MAX_SYNC_BUFFER }

export class BlockSyncService {
  readonly protocol: string
  private readonly timeoutMs: number
  private readonly log: Logger
  private started = false

  constructor(
    private readonly init: BlockSyncInit,
    private readonly components: BlockSyncComponents,
  ) {
    this.protocol = chainProtocols(init.chainId).blocks
    this.timeoutMs = init.timeoutMs ?? 30_000
    this.log = init.logger ?? silentLogger
  }

  async start(): Promise<void> {
    if (this.started || !this.init.source) return
    await this.components.handle(this.protocol, this.serve, {
      maxInboundStreams: this.init.maxInboundStreams ?? 4,
    })
    this.started = true
  }

  async stop(): Promise<void> {
    if (!this.started) return
    await this.components.unhandle(this.protocol)
    this.started = false
  }

  /**
   * Blocks `from`, `from+1`, ... (at most `count`) from `peer`, in height order; fewer when the peer holds no more.
   * Rejects with the signal's reason on abort, STELE_UNAVAILABLE when the peer cannot be reached or breaks off, and
   * STELE_BAD_ENCODING when it answers out of protocol.
   */
  async fetchBlocks(
    peer: PeerId | Multiaddr,
    range: SyncRequest,
    opts: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array[]> {
    const request = encodeSyncRequest(range)
    const signal = opts.signal
      ? AbortSignal.any([opts.signal, AbortSignal.timeout(this.timeoutMs)])
      : AbortSignal.timeout(this.timeoutMs)
    let stream: Stream | undefined
    try {
      stream = await this.components.dialProtocol(peer, this.protocol, { signal })
      const lp = lpStream(stream, LP_OPTS)
      await lp.write(request, { signal })
      const status = decodeSyncStatus((await lp.read({ signal })).subarray())
      if (!status.ok) throw new SteleError('STELE_BAD_REQUEST', `sync refused by peer: ${status.reason}`)
      const blocks: Uint8Array[] = []
      for (;;) {
        const frame = await lp.read({ signal })
        if (frame.byteLength === 0) break
        if (blocks.length === range.count)
          throw new SteleError(
            'STELE_BAD_ENCODING',
            `sync: peer sent more than the ${range.count} blocks asked`,
          )
        // A copy as a plain Uint8Array: over TCP the frame is a Buffer view into a larger socket chunk.
        blocks.push(new Uint8Array(frame.subarray()))
      }
      await stream.close({ signal })
      return blocks
    } catch (err) {
      stream?.abort(err as Error)
      if (opts.signal?.aborted) throw opts.signal.reason
      if (err instanceof SteleError) throw err
      throw new SteleError(
        'STELE_UNAVAILABLE',
        `sync from ${peer.toString()} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
    }
  }

  private readonly serve = async (stream: Stream): Promise<void> => {
    const source = this.init.source
    if (!source) return stream.abort(new SteleError('STELE_UNAVAILABLE', 'this node serves no blocks'))
    const signal = AbortSignal.timeout(this.timeoutMs)
    const lp = lpStream(stream, LP_OPTS)
    try {
      let range: SyncRequest
      try {
        range = decodeSyncRequest((await lp.read({ signal })).subarray())
      } catch (err) {
        if (!(err instanceof SteleError)) throw err
        await lp.write(encodeSyncStatus({ ok: false, reason: err.message }), { signal })
        await stream.close({ signal })
        return
      }
      await lp.write(encodeSyncStatus({ ok: true }), { signal })
      for (let h = range.from; h < range.from + range.count; h++) {
        const block = await source.getBlockBytes(h, { signal })
        if (!block) break
        await lp.write(block, { signal })
      }
      await lp.write(END, { signal })
      await stream.close({ signal })
    } catch (err) {
      this.log.debug({ err }, 'block sync: serving a request failed')
      stream.abort(err as Error)
    }
  }
}
