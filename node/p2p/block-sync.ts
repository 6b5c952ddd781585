/**
 * Block-range sync: a node that is behind asks a peer for blocks `from..from+count-1` and gets their stored bytes
 * back in order (layout in block-sync-codec.ts). The server reads from a BlockSource and streams block by block, so
 * a response is never held whole in memory. Verifying and applying the blocks is the caller's (phase 2).
 */
import type { PeerId } from '@libp2p/interface'
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
import { type Exchange, RequestResponse, type RequestResponseComponents } from './request-response.ts'

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

export type BlockSyncComponents = RequestResponseComponents

const END = new Uint8Array(0)

export class BlockSyncService {
  readonly protocol: string
  private readonly rr: RequestResponse

  constructor(
    private readonly init: BlockSyncInit,
    components: BlockSyncComponents,
  ) {
    this.protocol = chainProtocols(init.chainId).blocks
    this.rr = new RequestResponse(
      {
        protocol: this.protocol,
        timeoutMs: init.timeoutMs ?? 30_000,
        maxInboundStreams: init.maxInboundStreams ?? 4,
        maxDataLength: MAX_SYNC_FRAME,
        maxBufferSize: MAX_SYNC_BUFFER,
        logger: init.logger ?? silentLogger,
        name: 'block sync',
      },
      components,
    )
  }

  async start(): Promise<void> {
    if (this.init.source) await this.rr.start(this.serve)
  }

  stop(): Promise<void> {
    return this.rr.stop()
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
    return await this.rr.request(
      peer,
      'sync',
      async (lp, signal) => {
        await lp.write(request, { signal })
        const status = decodeSyncStatus((await lp.read({ signal })).subarray())
        if (!status.ok) throw new SteleError('STELE_BAD_REQUEST', `sync refused by peer: ${status.reason}`)
        const blocks: Uint8Array[] = []
        for (;;) {
          const frame = await lp.read({ signal })
          if (frame.byteLength === 0) return blocks
          if (blocks.length === range.count)
            throw new SteleError(
              'STELE_BAD_ENCODING',
              `sync: peer sent more than the ${range.count} blocks asked`,
            )
          // A copy as a plain Uint8Array: over TCP the frame is a Buffer view into a larger socket chunk.
          blocks.push(new Uint8Array(frame.subarray()))
        }
      },
      opts,
    )
  }

  private readonly serve: Exchange<void> = async (lp, signal) => {
    const source = this.init.source!
    let range: SyncRequest
    try {
      range = decodeSyncRequest((await lp.read({ signal })).subarray())
    } catch (err) {
      if (!(err instanceof SteleError)) throw err
      await lp.write(encodeSyncStatus({ ok: false, reason: err.message }), { signal })
      return
    }
    await lp.write(encodeSyncStatus({ ok: true }), { signal })
    for (let h = range.from; h < range.from + range.count; h++) {
      const block = await source.getBlockBytes(h, { signal })
      if (!block) break
      await lp.write(block, { signal })
    }
    await lp.write(END, { signal })
  }
}
