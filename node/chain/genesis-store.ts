import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type KeyPair, keyPairFromSeed } from '../../core/ed25519.ts'
import { SteleError } from '../../core/errors.ts'
import { type Genesis, genesisFromJson, genesisToJson } from '../../core/genesis.ts'
import { readKeyFile, writeKeyFile } from '../../core/key-file.ts'

export interface NodeIdentity {
  genesis: Genesis
  /** This node's key: it produces blocks and, on a fresh local chain, is also the authority. */
  key: KeyPair
}

async function readJson(path: string): Promise<unknown | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SteleError(
      'STELE_CONFIG',
      `cannot read ${path}: ${(e as Error).message}; fix or remove the file`,
      { cause: e },
    )
  }
}

/**
 * Loads the node key and genesis from the data folder, creating both on first run: a fresh local chain whose
 * single producer and authority is this node's key.
 */
export async function loadOrCreateIdentity(
  dataDir: string,
  opts: { now?: () => number; chainId?: string; genesisFile?: string } = {},
): Promise<NodeIdentity> {
  await mkdir(dataDir, { recursive: true })
  const keyPath = join(dataDir, 'node.key')
  let key = await readKeyFile(keyPath)
  if (!key) {
    key = keyPairFromSeed(new Uint8Array(randomBytes(32)))
    await writeKeyFile(keyPath, key)
  }
  const genesisPath = join(dataDir, 'genesis.json')
  const existing = (await readJson(opts.genesisFile ?? genesisPath)) as unknown
  if (existing !== undefined) return { genesis: genesisFromJson(existing), key }
  const genesis: Genesis = {
    chainId: opts.chainId ?? `stele-local-${randomBytes(3).toString('hex')}`,
    time: (opts.now ?? Date.now)(),
    producers: [key.publicKey],
    authority: key.publicKey,
  }
  await writeFile(genesisPath, `${JSON.stringify(genesisToJson(genesis), null, 2)}\n`)
  return { genesis, key }
}
