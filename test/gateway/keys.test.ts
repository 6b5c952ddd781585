import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { toHex } from '../../core/bytes.ts'
import { signMessage, verifySignature } from '../../core/ed25519.ts'
import { isSteleError } from '../../core/errors.ts'
import { GATEWAY_KEY_FILE, loadOrCreateGatewayKey } from '../../gateway/keys.ts'
import { tempDir } from '../helpers/tmp.ts'

describe('gateway key file', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  beforeEach(async () => {
    dir = await tempDir('stele-keys-')
  })
  afterEach(() => dir.cleanup())

  it('creates a 0600 JSON key on first run and loads the same key after', async () => {
    const dataDir = join(dir.path, 'nested')
    const first = await loadOrCreateGatewayKey({ dataDir })
    expect(first.created).toBe(true)
    const path = join(dataDir, GATEWAY_KEY_FILE)
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o600)
    const json = JSON.parse(await readFile(path, 'utf8'))
    expect(json).toEqual({ publicKey: toHex(first.publicKey), secretKey: toHex(first.secretKey) })

    const again = await loadOrCreateGatewayKey({ dataDir })
    expect(again.created).toBe(false)
    expect(toHex(again.publicKey)).toBe(toHex(first.publicKey))
    const msg = new Uint8Array([1, 2, 3])
    expect(verifySignature(signMessage(msg, again.secretKey), msg, first.publicKey)).toBe(true)
  })

  it('refuses a key file whose public key does not match its secret', async () => {
    const k = await loadOrCreateGatewayKey({ dataDir: dir.path })
    const path = join(dir.path, GATEWAY_KEY_FILE)
    await writeFile(path, JSON.stringify({ publicKey: '00'.repeat(32), secretKey: toHex(k.secretKey) }))
    const err = await loadOrCreateGatewayKey({ dataDir: dir.path }).catch((e) => e)
    expect(isSteleError(err, 'STELE_CONFIG')).toBe(true)
  })

  it('refuses a key file that is not JSON', async () => {
    await writeFile(join(dir.path, GATEWAY_KEY_FILE), 'not json')
    const err = await loadOrCreateGatewayKey({ dataDir: dir.path }).catch((e) => e)
    expect(isSteleError(err, 'STELE_CONFIG')).toBe(true)
  })
})
