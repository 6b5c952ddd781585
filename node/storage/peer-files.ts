import type { CID } from 'multiformats/cid'
import { isSteleError, SteleError } from '../../core/errors.ts'
import { cidParam, type Storage } from './storage.ts'

/** How long a contract's code, or a drive-put file's root block, may take to arrive from peers. */
const FETCH_MS = 10_000

/** What the node's network offers for files held elsewhere (node/p2p/network.ts, blocks by CID). */
export interface PeerFetch {
  fetchDag(root: CID, opts?: { signal?: AbortSignal }): Promise<number>
  fetchBlock(cid: CID, opts?: { signal?: AbortSignal }): Promise<Uint8Array>
}

/**
 * Files uploaded to another node of the chain (docs/network.md §Storage across nodes, §Execution across nodes): a
 * replica's DAG, a drive-put's root block, a contract's code. Every block fetched is checked against its CID by the
 * protocol; without a network the calls fail with STELE_UNAVAILABLE.
 */
export class PeerFiles {
  constructor(
    private readonly storage: Storage,
    private readonly network: () => PeerFetch | undefined,
  ) {}

  /** Every block of the DAG under `root` this node lacks, fetched from peers and stored; resolves with the count. */
  async fetchDag(root: CID, opts: { signal?: AbortSignal } = {}): Promise<number> {
    return this.peers(root).fetchDag(root, opts)
  }

  /** A file's root block from a peer, not stored (enough for its size and DAG size). */
  async fetchRoot(cid: CID): Promise<Uint8Array> {
    return this.peers(cid).fetchBlock(cid, { signal: AbortSignal.timeout(FETCH_MS) })
  }

  /** A stored file as UTF-8; one this node lacks is fetched from peers first (every node re-executes contracts). */
  async readText(cid: string): Promise<string> {
    const read = async () => {
      const parts: Uint8Array[] = []
      for await (const p of await this.storage.cat(cidParam(cid))) parts.push(p)
      return new TextDecoder().decode(Buffer.concat(parts))
    }
    try {
      return await read()
    } catch (err) {
      if (!this.network() || !isSteleError(err) || err.code !== 'STELE_NOT_FOUND') throw err
      await this.fetchDag(cidParam(cid), { signal: AbortSignal.timeout(FETCH_MS) })
      return await read()
    }
  }

  private peers(cid: CID): PeerFetch {
    const n = this.network()
    if (!n) throw new SteleError('STELE_UNAVAILABLE', `${cid} is not here and no peer is joined`)
    return n
  }
}
