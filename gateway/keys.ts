/**
 * The gateway's Ed25519 identity, kept in `<dataDir>/gateway.key` as JSON `{publicKey, secretKey}` in hex,
 * readable by the owner only (0600). Created on first run; the node must have the public key registered
 * before it accepts the gateway's batches.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { equalBytes, fromHex, toHex } from '../core/bytes.ts'
import { generateKeyPair, type KeyPair, keyPairFromSeed } from '../core/ed25519.ts'
import { SteleError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'

export const GATEWAY_KEY_FILE = 'gateway.key'

export interface GatewayKeyInit {
  dataDir: string
  /** Key material source; tests pass a seeded one. */
  random?: (n: number) => Uint8Array
  logger?: Logger
}

export interface LoadedKey extends KeyPair {
  /** True when this call created the key (first run): the caller should say how to register it. */
  created: boolean
  path: string
}

export async function loadOrCreateGatewayKey(init: GatewayKeyInit): Promise<LoadedKey> {
  const path = join(init.dataDir, GATEWAY_KEY_FILE)
  const existing = await readKeyFile(path)
  if (existing) {
    await warnIfReadableByOthers(path, init.logger)
    return { ...existing, created: false, path }
  }
  await mkdir(init.dataDir, { recursive: true })
  const key = generateKeyPair(init.random ?? randomBytes)
  const json = JSON.stringify({ publicKey: toHex(key.publicKey), secretKey: toHex(key.secretKey) }, null, 2)
  // Write a temporary file and rename it: a crash mid-write leaves either no key or a whole key, never half.
  const tmp = `${path}.${process.pid}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(`${json}\n`)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await chmod(tmp, 0o600)
  await rename(tmp, path).catch(async (cause) => {
    await rm(tmp, { force: true })
    throw new SteleError('STELE_STORAGE', `cannot write gateway key ${path}`, { cause })
  })
  return { ...key, created: true, path }
}

async function readKeyFile(path: string): Promise<KeyPair | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SteleError('STELE_STORAGE', `cannot read gateway key ${path}`, { cause })
  }
  let parsed: { publicKey?: unknown; secretKey?: unknown }
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new SteleError('STELE_CONFIG', `gateway key ${path} is not JSON; restore it or move it away`, {
      cause,
    })
  }
  const secretKey = fromHex(String(parsed.secretKey), `${path} secretKey`, 32)
  const publicKey = fromHex(String(parsed.publicKey), `${path} publicKey`, 32)
  const derived = keyPairFromSeed(secretKey)
  // A public key that does not match the seed would sign batches the node attributes to someone else.
  if (!equalBytes(derived.publicKey, publicKey))
    throw new SteleError('STELE_CONFIG', `gateway key ${path}: publicKey does not match secretKey`)
  return derived
}

async function warnIfReadableByOthers(path: string, logger: Logger | undefined): Promise<void> {
  if (!logger || process.platform === 'win32') return
  const { mode } = await stat(path)
  if ((mode & 0o077) !== 0)
    logger.warn({ path, mode: (mode & 0o777).toString(8) }, 'gateway key is readable by others; chmod 600 it')
}
