import { equalBytes, fromHex, toHex } from '../../../core/bytes.ts'
import { generateKeyPair, type KeyPair, keyPairFromSeed } from '../../../core/ed25519.ts'
import { SteleError } from '../../../core/errors.ts'
import { openSecret, sealSecret } from '../../../core/key-crypto.ts'

/**
 * The browser wallet's keys. Each is kept in localStorage as the CLI's sealed key file (docs/protocol.md §9.7.1:
 * `{publicKey, sealed}`, scrypt + NaCl secretbox, core/key-crypto.ts), so exporting one is writing it out as is and
 * `stele transfer --key` reads it. The opened seed lives only in this module's memory until the page is closed or
 * the key is locked; it is never stored in the clear and never sent to the node.
 */
export interface WalletKeyFile {
  publicKey: string
  sealed: unknown
}

interface Stored {
  active: string | null
  keys: WalletKeyFile[]
}

const STORE = 'stele.wallet'
const unlocked = new Map<string, KeyPair>()
const webRandom = (n: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(n))

function load(): Stored {
  try {
    const s = JSON.parse(localStorage.getItem(STORE) ?? 'null') as Stored | null
    if (s && Array.isArray(s.keys)) return s
  } catch {
    // A damaged entry reads as an empty wallet; the keys in it could not be opened anyway.
  }
  return { active: null, keys: [] }
}

function save(s: Stored): void {
  localStorage.setItem(STORE, JSON.stringify(s))
}

export const walletKeys = (): WalletKeyFile[] => load().keys

export function activeKey(): string | null {
  const s = load()
  return s.active && s.keys.some((k) => k.publicKey === s.active) ? s.active : (s.keys[0]?.publicKey ?? null)
}

export function setActive(publicKey: string): void {
  const s = load()
  if (s.keys.some((k) => k.publicKey === publicKey)) save({ ...s, active: publicKey })
}

export const unlockedKey = (publicKey: string): KeyPair | undefined => unlocked.get(publicKey)

export function lock(publicKey: string): void {
  unlocked.delete(publicKey)
}

function add(file: WalletKeyFile, key: KeyPair): string {
  const s = load()
  if (!s.keys.some((k) => k.publicKey === file.publicKey)) s.keys.push(file)
  save({ ...s, active: file.publicKey })
  unlocked.set(file.publicKey, key)
  return file.publicKey
}

function checkPassphrase(passphrase: string): void {
  if (passphrase.length < 8)
    throw new SteleError('STELE_BAD_REQUEST', 'choose a passphrase of at least 8 characters')
}

/** A new Ed25519 key from the browser's CSPRNG, sealed under `passphrase` (scrypt N=2^15: about a second here). */
export function createKey(passphrase: string): string {
  checkPassphrase(passphrase)
  const key = generateKeyPair(webRandom)
  return add(
    { publicKey: toHex(key.publicKey), sealed: sealSecret(key.secretKey, passphrase, webRandom) },
    key,
  )
}

/**
 * A CLI key file: sealed (`{publicKey, sealed}`, opened with `passphrase` and kept as it is) or plain
 * (`{publicKey, secretKey}`, the node's format, sealed here under `passphrase` before it is stored).
 */
export function importKeyFile(text: string, passphrase: string): string {
  let f: { publicKey?: unknown; secretKey?: unknown; sealed?: unknown }
  try {
    f = JSON.parse(text)
  } catch (cause) {
    throw new SteleError('STELE_BAD_ENCODING', 'not a key file: the file is not JSON', { cause })
  }
  if (!f || typeof f !== 'object' || typeof f.publicKey !== 'string')
    throw new SteleError('STELE_BAD_ENCODING', 'not a key file: no publicKey')
  const publicKey = fromHex(f.publicKey, 'key file publicKey', 32)
  if (f.sealed !== undefined) {
    const key = keyPairFromSeed(openSecret(f.sealed, passphrase))
    if (!equalBytes(key.publicKey, publicKey))
      throw new SteleError('STELE_BAD_ENCODING', 'key file: publicKey does not match the sealed key')
    return add({ publicKey: toHex(publicKey), sealed: f.sealed }, key)
  }
  const key = keyPairFromSeed(fromHex(String(f.secretKey), 'key file secretKey', 32))
  if (!equalBytes(key.publicKey, publicKey))
    throw new SteleError('STELE_BAD_ENCODING', 'key file: publicKey does not match secretKey')
  checkPassphrase(passphrase)
  return add({ publicKey: toHex(publicKey), sealed: sealSecret(key.secretKey, passphrase, webRandom) }, key)
}

/** Opens the stored key; a wrong passphrase is STELE_NOT_AUTHORIZED (the secretbox tag does not verify). */
export function unlock(publicKey: string, passphrase: string): KeyPair {
  const file = load().keys.find((k) => k.publicKey === publicKey)
  if (!file) throw new SteleError('STELE_NOT_FOUND', `no key ${publicKey} in this browser`)
  const key = keyPairFromSeed(openSecret(file.sealed, passphrase))
  if (toHex(key.publicKey) !== publicKey)
    throw new SteleError('STELE_BAD_ENCODING', 'stored key: publicKey does not match the sealed key')
  unlocked.set(publicKey, key)
  return key
}

/** The key file as the CLI writes it (`stele account new --passphrase-env`): sealed, the seed never in the clear. */
export function exportKeyFile(publicKey: string): string {
  const file = load().keys.find((k) => k.publicKey === publicKey)
  if (!file) throw new SteleError('STELE_NOT_FOUND', `no key ${publicKey} in this browser`)
  return `${JSON.stringify({ publicKey: file.publicKey, sealed: file.sealed }, null, 2)}\n`
}

export function removeKey(publicKey: string): void {
  const s = load()
  unlocked.delete(publicKey)
  const keys = s.keys.filter((k) => k.publicKey !== publicKey)
  save({ keys, active: s.active === publicKey ? (keys[0]?.publicKey ?? null) : s.active })
}
