/**
 * Where presence records go (phase 2: the Kademlia DHT). Records are the client-signed registrations of
 * core/presence/registration.ts, stored under presenceDhtKey(clientKey), several per key.
 */
export interface Announcer {
  /** Stores `record` under `key` until `expiry` (epoch ms). */
  announce(key: Uint8Array, record: Uint8Array, expiry: number): Promise<void>
  /** Takes back a record this node announced (its circuit closed, or it lapsed). */
  withdraw(key: Uint8Array, record: Uint8Array): Promise<void>
  /** Every record stored under `key`; the looker checks them (selectPresence). */
  lookup(key: Uint8Array): Promise<Uint8Array[]>
}

/** A source of live events a client may ask its presence node to forward (phase 2: the stream hub). */
export interface EventSource {
  /** Calls `onEvent` for each event matching `filter` until the returned function is called. */
  subscribe(filter: string, onEvent: (data: Uint8Array) => void): () => void
}
