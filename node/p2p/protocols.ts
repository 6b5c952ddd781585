import { SteleError } from '../../core/errors.ts'

/**
 * The names Stele speaks on libp2p, one set per chain: nodes of another chain share no topic, stream protocol or
 * DHT with these (docs/network.md §Wire protocols).
 */
export interface ChainProtocols {
  /** Gossipsub topic of transactions and gateway batches, for every node's mempool. */
  txTopic: string
  /** Gossipsub topic of blocks as they are produced. */
  blockTopic: string
  /** Request/response stream protocol of block ranges. */
  blocks: string
  /** Request/response stream protocol of storage blocks by CID. */
  blocksByCid: string
  /** Kademlia protocol, so the DHT holds only this chain's nodes. */
  kad: string
}

const CHAIN_ID = /^[^\s/]{1,64}$/

export function chainProtocols(chainId: string): ChainProtocols {
  // A '/' would shift the path segments of every name below and let one chain's id speak another's protocol.
  if (!CHAIN_ID.test(chainId))
    throw new SteleError(
      'STELE_CONFIG',
      `chainId ${JSON.stringify(chainId)} cannot name a p2p protocol (no '/' or spaces)`,
    )
  return {
    txTopic: `/stele/${chainId}/tx/1`,
    blockTopic: `/stele/${chainId}/block/1`,
    blocks: `/stele/${chainId}/blocks/1.0.0`,
    blocksByCid: `/stele/${chainId}/blocks-by-cid/1.0.0`,
    kad: `/stele/${chainId}/kad/1.0.0`,
  }
}
