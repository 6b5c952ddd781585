/**
 * The per-hop handshake (docs/presence.md §3), Tor's ntor kept small. The client sends the hop's identity
 * (its Ed25519 ledger key) and a fresh X25519 key X; the hop answers with a fresh Y and a confirmation tag.
 * Both sides compute  ikm = DH(x, Y) ‖ DH(x, B)  (hop: DH(y, X) ‖ DH(b, X)), where B is the hop's X25519 key,
 * converted from its Ed25519 key so the chain's node key is the only key a node publishes.
 *
 * What it gives: only the holder of b can compute DH(b, X), so a right tag proves the client reached the node
 * the chain lists (an entry cannot answer in the middle's name); y and x are thrown away, so a node key stolen
 * later does not open recorded circuits; X is fresh per hop, so a hop learns nothing of who the client is.
 */
import { timingSafeEqual } from 'node:crypto'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { abytes, concatBytes, equalBytes, utf8 } from '../bytes.ts'
import { SteleError } from '../errors.ts'

export const NTOR_PROTOCOL = 'stele:presence:ntor:v1'
export const NTOR_KEY_INFO = 'stele:presence:keys'
export const NTOR_AUTH_LABEL = 'stele:presence:ntor:auth'
/** CREATE: hop id (32) ‖ X (32). CREATED: Y (32) ‖ auth (32). */
export const CREATE_SIZE = 64
export const CREATED_SIZE = 64

export interface HopKeys {
  /** Client → hop layer key. */
  forward: Uint8Array
  /** Hop → client layer key. */
  backward: Uint8Array
}

export interface ClientHandshake {
  nodeId: Uint8Array
  x: Uint8Array
  X: Uint8Array
  /** The CREATE payload. */
  request: Uint8Array
}

/** The X25519 public key of a node's Ed25519 ledger key (RFC 7748 birational map). */
export const nodeX25519Public = (ed25519PublicKey: Uint8Array): Uint8Array =>
  ed25519.utils.toMontgomery(abytes(ed25519PublicKey, 'node key', 32))

/** The X25519 secret of a node's Ed25519 seed: the clamped first half of SHA-512(seed), as Ed25519 uses it. */
export const nodeX25519Secret = (ed25519Seed: Uint8Array): Uint8Array =>
  ed25519.utils.toMontgomerySecret(abytes(ed25519Seed, 'node seed', 32))

const failed = (msg: string): SteleError =>
  new SteleError('STELE_CIRCUIT_FAILED', `presence handshake: ${msg}`)

function dh(secret: Uint8Array, pub: Uint8Array): Uint8Array {
  try {
    const s = x25519.getSharedSecret(secret, pub)
    if (s.every((b) => b === 0)) throw failed('all-zero shared secret')
    return s
  } catch (cause) {
    if (cause instanceof SteleError) throw cause
    throw new SteleError('STELE_CIRCUIT_FAILED', 'presence handshake: invalid X25519 key', { cause })
  }
}

function derive(ikm: Uint8Array, id: Uint8Array, B: Uint8Array, X: Uint8Array, Y: Uint8Array) {
  const transcript = concatBytes(id, B, X, Y)
  const okm = hkdf(sha256, ikm, utf8(NTOR_PROTOCOL), concatBytes(utf8(NTOR_KEY_INFO), transcript), 96)
  const confirm = okm.subarray(64, 96)
  return {
    keys: { forward: okm.slice(0, 32), backward: okm.slice(32, 64) },
    auth: hmac(sha256, confirm, concatBytes(utf8(NTOR_AUTH_LABEL), transcript)),
  }
}

/** Starts a handshake with the node whose Ed25519 key is `nodeId`; `x` is a fresh random X25519 secret. */
export function startHandshake(nodeId: Uint8Array, x: Uint8Array): ClientHandshake {
  abytes(nodeId, 'node id', 32)
  abytes(x, 'ephemeral secret', 32)
  const X = x25519.getPublicKey(x)
  return { nodeId, x, X, request: concatBytes(nodeId, X) }
}

/** The hop's side: checks the request names it, returns its keys and the CREATED payload. */
export function answerHandshake(
  node: { seed: Uint8Array; publicKey: Uint8Array },
  request: Uint8Array,
  y: Uint8Array,
): { keys: HopKeys; reply: Uint8Array } {
  if (request.length !== CREATE_SIZE) throw failed(`CREATE of ${request.length} bytes`)
  const id = request.subarray(0, 32)
  const X = request.subarray(32, 64)
  if (!equalBytes(id, node.publicKey)) throw failed('CREATE names another node')
  const b = nodeX25519Secret(node.seed)
  const Y = x25519.getPublicKey(y)
  const { keys, auth } = derive(concatBytes(dh(y, X), dh(b, X)), id, nodeX25519Public(node.publicKey), X, Y)
  return { keys, reply: concatBytes(Y, auth) }
}

/** The client's side: checks the hop's tag (constant time) and returns the hop's keys. */
export function finishHandshake(h: ClientHandshake, reply: Uint8Array): HopKeys {
  if (reply.length !== CREATED_SIZE) throw failed(`CREATED of ${reply.length} bytes`)
  const Y = reply.subarray(0, 32)
  const B = nodeX25519Public(h.nodeId)
  const { keys, auth } = derive(concatBytes(dh(h.x, Y), dh(h.x, B)), h.nodeId, B, h.X, Y)
  if (!timingSafeEqual(auth, reply.subarray(32, 64)))
    throw failed('confirmation tag does not match the node key')
  return keys
}
