/**
 * The gateway's Ed25519 identity, kept in `<dataDir>/gateway.key` as JSON `{publicKey, secretKey}` in hex,
 * readable by the owner only (0600). Created on first run; the node must have the public key registered
 * before it accepts the gateway's batches.
 */
import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, type KeyPair } from '../core/ed25519.ts'
import { readKeyFile, writeKeyFile } from '../core/key-file.ts'
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
  const key = generateKeyPair(init.random ?? randomBytes)
  await writeKeyFile(path, key)
  return { ...key, created: true, path }
}

async function warnIfReadableByOthers(path: string, logger: Logger | undefined): Promise<void> {
  if (!logger || process.platform === 'win32') return
  const { mode } = await stat(path)
  if ((mode & 0o077) !== 0)
    logger.warn({ path, mode: (mode & 0o777).toString(8) }, 'gateway key is readable by others; chmod 600 it')
}
