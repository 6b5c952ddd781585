/**
 * A node's libp2p identity is its Ed25519 ledger key: the peer id names the same key that signs its blocks, so a
 * peer's id says which producer it is without a separate handshake.
 */
import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { abytes } from '../../core/bytes.ts'

/** The libp2p private key of the node key file's 32-byte seed (core/key-file.ts). */
export function p2pPrivateKey(seed: Uint8Array): Promise<Ed25519PrivateKey> {
  return generateKeyPairFromSeed('Ed25519', abytes(seed, 'node secretKey', 32))
}

/** The peer id of a ledger public key (a producer in genesis or a node-register transaction). */
export function peerIdOfKey(publicKey: Uint8Array): PeerId {
  return peerIdFromPublicKey(publicKeyFromRaw(abytes(publicKey, 'node publicKey', 32)))
}

/** The ledger public key behind a peer id, or undefined for a peer whose key is not Ed25519. */
export function keyOfPeerId(peer: PeerId): Uint8Array | undefined {
  return peer.type === 'Ed25519' ? peer.publicKey.raw : undefined
}
