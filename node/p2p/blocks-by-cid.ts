/**
 * Blocks by CID between nodes: a replicator that lacks a drive's file asks its peers for the DAG block by block
 * (layout in blocks-by-cid-codec.ts), checks every block against its CID and stores it. The server answers from the
 * node's blockstore. A small protocol rather than Bitswap: docs/network.md §Storage across nodes says why.
 */
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'
import { SteleError } from '../../core/errors.ts'
import { type Logger, silentLogger } from '../../core/logger.ts'
import { blockMatches } from '../../core/storage-proof.ts'
import {
  decodeCidRequest,
  decodeCidResponse,
  encodeCidRequest,
  encodeCidResponse,
  MAX_CID_FRAME,
} from './blocks-by-cid-codec.ts'
import { chainProtocols } from './protocols.ts'
import { type Exchange, RequestResponse, type RequestResponseComponents } from './request-response.ts'

/** Where the server reads blocks: the node's blockstore. */
export interface CidBlockSource {
  has(cid: CID): Promise<boolean>
  getBytes(cid: CID): Promise<Uint8Array>
}

/** What fetchDag reads and fills: the node's storage (its blockstore and its DAG walk). */
export interface DagStore {
  blocks: CidBlockSource & { put(cid: CID, bytes: Uint8Array): Promise<unknown> }
  walk(root: CID, get: (cid: CID) => Promise<Uint8Array>): AsyncIterable<unknown>
}

export interface BlocksByCidInit {
  chainId: string
  source: CidBlockSource
  /** A request not answered within this is aborted, on both sides (default 10 s). */
  timeoutMs?: number
  /** Concurrent inbound requests per connection (default 8). */
  maxInboundStreams?: number
  logger?: Logger
}

export type BlocksByCidComponents = RequestResponseComponents

export class BlocksByCidService {
  readonly protocol: string
  private readonly log: Logger
  private readonly rr: RequestResponse

  constructor(
    private readonly init: BlocksByCidInit,
    components: BlocksByCidComponents,
  ) {
    this.protocol = chainProtocols(init.chainId).blocksByCid
    this.log = init.logger ?? silentLogger
    this.rr = new RequestResponse(
      {
        protocol: this.protocol,
        timeoutMs: init.timeoutMs ?? 10_000,
        maxInboundStreams: init.maxInboundStreams ?? 8,
        maxDataLength: MAX_CID_FRAME,
        maxBufferSize: 2 * MAX_CID_FRAME,
        logger: this.log,
        name: 'blocks by cid',
      },
      components,
    )
  }

  start(): Promise<void> {
    return this.rr.start(this.serve)
  }

  stop(): Promise<void> {
    return this.rr.stop()
  }

  /**
   * The block `cid` from `peer`, its hash checked; undefined when the peer does not hold it. Rejects with the
   * signal's reason on abort, STELE_UNAVAILABLE when the peer cannot be reached or breaks off, and
   * STELE_BAD_ENCODING when it answers out of protocol or with bytes that are not the block.
   */
  fetchBlock(
    peer: PeerId | Multiaddr,
    cid: CID,
    opts: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array | undefined> {
    return this.rr.request(
      peer,
      `block ${cid}`,
      async (lp, signal) => {
        await lp.write(encodeCidRequest(cid), { signal })
        const r = decodeCidResponse((await lp.read({ signal })).subarray())
        if (!r.found) return undefined
        if (!blockMatches(cid, r.bytes))
          throw new SteleError(
            'STELE_BAD_ENCODING',
            `${peer.toString()} sent bytes that are not block ${cid}`,
          )
        return r.bytes
      },
      opts,
    )
  }

  /** The block from the first of `peers` that holds it and sends the right bytes; STELE_NOT_FOUND when none. */
  async fetchFromAny(
    peers: readonly (PeerId | Multiaddr)[],
    cid: CID,
    opts: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    for (const peer of peers) {
      try {
        const bytes = await this.fetchBlock(peer, cid, opts)
        if (bytes) return bytes
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason
        this.log.debug({ err, cid: cid.toString(), peer: peer.toString() }, 'blocks by cid: peer failed')
      }
    }
    throw new SteleError('STELE_NOT_FOUND', `no peer sent block ${cid}`, { details: { cid: cid.toString() } })
  }

  /**
   * Every block of the DAG under `root` that `store` lacks, fetched from `peers` and stored, walking from the root
   * (a block's links are known only once it is held and checked). Resolves with the number of blocks fetched.
   */
  async fetchDag(
    root: CID,
    store: DagStore,
    peers: () => readonly (PeerId | Multiaddr)[],
    opts: { signal?: AbortSignal } = {},
  ): Promise<number> {
    let fetched = 0
    const get = async (cid: CID): Promise<Uint8Array> => {
      if (await store.blocks.has(cid)) return store.blocks.getBytes(cid)
      const bytes = await this.fetchFromAny(peers(), cid, opts)
      await store.blocks.put(cid, bytes)
      fetched++
      return bytes
    }
    for await (const _ of store.walk(root, get));
    return fetched
  }

  private readonly serve: Exchange<void> = async (lp, signal) => {
    const cid = decodeCidRequest((await lp.read({ signal })).subarray())
    const { source } = this.init
    const bytes = (await source.has(cid)) ? await source.getBytes(cid) : undefined
    // A block over the limit is not served rather than cut: the asker could not check a part against the CID.
    const found = bytes !== undefined && bytes.length < MAX_CID_FRAME
    await lp.write(encodeCidResponse(found ? { found, bytes } : { found: false }), { signal })
  }
}
