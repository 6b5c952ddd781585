/**
 * Presence registrations and their DHT records (docs/presence.md §6). The client signs, with its account key,
 * which presence node speaks for it and until when; the presence node stores the signed bytes in the DHT under
 * sha256(clientKey), so a looker checks the client's own signature and expiry and trusts no node for them.
 *
 *   version u8 (1) | clientKey [32] | presenceNode [32] | expiry u64 (epoch ms) | nonce [16] | signature [64]
 *   signature = Ed25519(clientSecret, "stele:presence:register:v1" ‖ the 89 bytes before it)
 */
import { abytes, ByteReader, ByteWriter, concatBytes, equalBytes, toHex, utf8 } from '../bytes.ts'
import { signMessage, verifySignature } from '../ed25519.ts'
import { SteleError } from '../errors.ts'
import { sha256 } from '../hash.ts'

export const REGISTRATION_DOMAIN = 'stele:presence:register:v1'
export const REGISTRATION_VERSION = 1
export const REGISTRATION_BODY_SIZE = 89
export const REGISTRATION_SIZE = REGISTRATION_BODY_SIZE + 64

export interface Registration {
  clientKey: Uint8Array
  presenceNode: Uint8Array
  expiry: number
  nonce: Uint8Array
}

export interface SignedRegistration extends Registration {
  signature: Uint8Array
  /** The record as stored in the DHT: body ‖ signature. */
  bytes: Uint8Array
}

export function encodeRegistrationBody(r: Registration): Uint8Array {
  return new ByteWriter(REGISTRATION_BODY_SIZE)
    .u8(REGISTRATION_VERSION)
    .bytes(abytes(r.clientKey, 'clientKey', 32))
    .bytes(abytes(r.presenceNode, 'presenceNode', 32))
    .u64(r.expiry)
    .bytes(abytes(r.nonce, 'nonce', 16))
    .finish()
}

export const registrationSigningMessage = (body: Uint8Array): Uint8Array =>
  concatBytes(utf8(REGISTRATION_DOMAIN), body)

export function signRegistration(r: Registration, clientSecret: Uint8Array): SignedRegistration {
  const body = encodeRegistrationBody(r)
  const signature = signMessage(registrationSigningMessage(body), clientSecret)
  return { ...r, signature, bytes: concatBytes(body, signature) }
}

/** Decodes the layout; the signature is checked by verifyRegistration. */
export function decodeRegistration(bytes: Uint8Array): SignedRegistration {
  const r = new ByteReader(abytes(bytes, 'presence record'), 'presence record')
  const version = r.u8('version')
  if (version !== REGISTRATION_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `presence record: unknown version ${version}`)
  const out = {
    clientKey: r.bytes(32, 'clientKey'),
    presenceNode: r.bytes(32, 'presenceNode'),
    expiry: r.u64('expiry'),
    nonce: r.bytes(16, 'nonce'),
    signature: r.bytes(64, 'signature'),
    bytes,
  }
  r.end()
  return out
}

export function verifyRegistration(r: SignedRegistration): boolean {
  return verifySignature(
    r.signature,
    registrationSigningMessage(r.bytes.subarray(0, REGISTRATION_BODY_SIZE)),
    r.clientKey,
  )
}

/** The DHT key a client's presence records live under. */
export const presenceDhtKey = (clientKey: Uint8Array): Uint8Array =>
  sha256(abytes(clientKey, 'clientKey', 32))

/**
 * What a looker keeps of the records found under presenceDhtKey(clientKey): those that decode, are for that
 * key, carry the client's signature and have not expired, freshest (latest expiry) first, one per presence node.
 * A sender tries them in this order.
 */
export function selectPresence(
  records: Uint8Array[],
  clientKey: Uint8Array,
  now: number,
): SignedRegistration[] {
  const best = new Map<string, SignedRegistration>()
  for (const bytes of records) {
    let r: SignedRegistration
    try {
      r = decodeRegistration(bytes)
    } catch {
      continue
    }
    if (!equalBytes(r.clientKey, clientKey) || r.expiry <= now || !verifyRegistration(r)) continue
    const node = toHex(r.presenceNode)
    const seen = best.get(node)
    if (!seen || seen.expiry < r.expiry) best.set(node, r)
  }
  return [...best.values()].sort((a, b) => b.expiry - a.expiry)
}
