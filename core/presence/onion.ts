/**
 * One authenticated layer per hop (docs/presence.md §4): XChaCha20-Poly1305 under the hop's key for that
 * direction, the nonce a counter of the cells that hop has sealed or opened in that direction. A replayed,
 * dropped, reordered or changed cell makes the next open fail, and the circuit is torn down.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'

/** Per-hop, per-direction state: the key and the count of cells so far. */
export interface LayerState {
  key: Uint8Array
  counter: number
}

/** The 24-byte nonce of cell number `counter`: 16 zero bytes then the counter as u64 big-endian. */
export function layerNonce(counter: number): Uint8Array {
  const n = new Uint8Array(24)
  const view = new DataView(n.buffer)
  view.setUint32(16, Math.floor(counter / 0x1_0000_0000))
  view.setUint32(20, counter >>> 0)
  return n
}

export function sealLayer(s: LayerState, plain: Uint8Array): Uint8Array {
  return xchacha20poly1305(s.key, layerNonce(s.counter++)).encrypt(plain)
}

/** The plaintext, or undefined when the tag does not verify (changed, replayed or reordered cell). */
export function openLayer(s: LayerState, sealed: Uint8Array): Uint8Array | undefined {
  try {
    return xchacha20poly1305(s.key, layerNonce(s.counter++)).decrypt(sealed)
  } catch {
    return undefined
  }
}
