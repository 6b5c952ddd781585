/**
 * What the circuit code needs of a network: send a 512-byte cell to a peer, hear cells and lost peers. Phase 2
 * carries it over libp2p streams; node/presence/memory-network.ts is the in-memory one tests and the bench use.
 */
export interface CellTransport {
  /** Queues one cell for `peer`. Never throws: a peer that cannot be reached is reported by onPeerClosed. */
  send(peer: string, cell: Uint8Array): void
  onMessage(handler: (peer: string, cell: Uint8Array) => void): void
  onPeerClosed(handler: (peer: string) => void): void
}

/** A node a client may route through: its Ed25519 ledger key (from the chain) and its link address. */
export interface NodeInfo {
  id: Uint8Array
  peer: string
}
