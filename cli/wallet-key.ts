import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { equalBytes, fromHex, toHex } from '../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../core/ed25519.ts'
import { SteleError } from '../core/errors.ts'
import { openSecret, SCRYPT_DEFAULTS, sealSecret } from '../core/key-crypto.ts'
import { readKeyFile, writeFileAtomic } from '../core/key-file.ts'

/**
 * Wallet key files: the node's key file format (`{publicKey, secretKey}`, core/key-file.ts), or with a passphrase
 * `{publicKey, sealed}` where `sealed` is the seed under scrypt + secretbox (core/key-crypto.ts). Written through
 * the same atomic, owner-only writer, never over an existing file.
 */
export interface WalletFile {
  publicKey: string
  secretKey?: string
  sealed?: unknown
}

export async function writeWalletKey(
  path: string,
  key: KeyPair,
  passphrase?: string,
  scrypt: { n: number; r: number; p: number } = SCRYPT_DEFAULTS,
): Promise<void> {
  if ((await readFile(path).catch(() => undefined)) !== undefined)
    throw new SteleError('STELE_CONFIG', `${path} already holds a key; it is never overwritten`)
  const file: WalletFile = passphrase
    ? {
        publicKey: toHex(key.publicKey),
        sealed: sealSecret(key.secretKey, passphrase, (n) => new Uint8Array(randomBytes(n)), scrypt),
      }
    : { publicKey: toHex(key.publicKey), secretKey: toHex(key.secretKey) }
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`)
}

/** The public key alone (no passphrase needed). */
export async function readWalletPublic(path: string): Promise<Uint8Array> {
  const f = await readWalletFile(path)
  return fromHex(f.publicKey, `${path} publicKey`, 32)
}

async function readWalletFile(path: string): Promise<WalletFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new SteleError(
      'STELE_CONFIG',
      `cannot read key file ${path}; make one with: stele account new --key ${path}`,
      { cause },
    )
  }
  try {
    const f = JSON.parse(text) as WalletFile
    if (typeof f.publicKey !== 'string') throw new TypeError('no publicKey')
    return f
  } catch (cause) {
    throw new SteleError('STELE_CONFIG', `key file ${path} is not a key file`, { cause })
  }
}

/** The key pair; a sealed file needs the passphrase. */
export async function readWalletKey(path: string, passphrase: string | undefined): Promise<KeyPair> {
  const f = await readWalletFile(path)
  if (f.sealed === undefined) {
    const key = await readKeyFile(path)
    if (!key) throw new SteleError('STELE_CONFIG', `cannot read key file ${path}`)
    return key
  }
  if (passphrase === undefined)
    throw new SteleError(
      'STELE_CONFIG',
      `${path} is sealed with a passphrase: put it in an environment variable and name it with --passphrase-env`,
    )
  const key = keyPairFromSeed(openSecret(f.sealed, passphrase))
  if (!equalBytes(key.publicKey, fromHex(f.publicKey, `${path} publicKey`, 32)))
    throw new SteleError('STELE_CONFIG', `key file ${path}: publicKey does not match the sealed key`)
  return key
}
