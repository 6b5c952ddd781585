/**
 * Ed25519 key files: JSON `{publicKey, secretKey}` in hex, readable by the owner only (0600). Shared by the node's
 * producer/authority key and the gateway's key so both are read, checked and written the same way.
 */
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { equalBytes, fromHex, toHex } from './bytes.ts'
import { type KeyPair, keyPairFromSeed } from './ed25519.ts'
import { SteleError } from './errors.ts'

/** The key in `path`, or undefined when there is no such file. */
export async function readKeyFile(path: string): Promise<KeyPair | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SteleError('STELE_STORAGE', `cannot read key file ${path}`, { cause })
  }
  let parsed: { publicKey?: unknown; secretKey?: unknown }
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new SteleError('STELE_CONFIG', `key file ${path} is not JSON; restore it or move it away`, {
      cause,
    })
  }
  const secretKey = fromHex(String(parsed.secretKey), `${path} secretKey`, 32)
  const derived = keyPairFromSeed(secretKey)
  // A public key that does not match the seed would sign for someone else.
  if (
    parsed.publicKey !== undefined &&
    !equalBytes(derived.publicKey, fromHex(String(parsed.publicKey), `${path} publicKey`, 32))
  )
    throw new SteleError('STELE_CONFIG', `key file ${path}: publicKey does not match secretKey`)
  return derived
}

/**
 * Writes a new key file through a temporary file and a rename, so a crash leaves no key or a whole key, never
 * half of one. Refuses to replace an existing key.
 */
export async function writeKeyFile(path: string, key: KeyPair): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  if ((await readKeyFile(path)) !== undefined)
    throw new SteleError('STELE_CONFIG', `${path} already holds a key; it is never overwritten`)
  const json = JSON.stringify({ publicKey: toHex(key.publicKey), secretKey: toHex(key.secretKey) }, null, 2)
  await writeFileAtomic(path, `${json}\n`)
}

/**
 * Writes `text` to `path` through a synced temporary file and a rename (owner-only, 0600), so a reader or a
 * crash sees the old file or the new one whole. Also used for the MQTT credentials files.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(text)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await chmod(tmp, 0o600)
  await rename(tmp, path).catch(async (cause) => {
    await rm(tmp, { force: true })
    throw new SteleError('STELE_STORAGE', `cannot write ${path}`, { cause })
  })
}
