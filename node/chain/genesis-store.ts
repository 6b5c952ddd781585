import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type KeyPair, keyPairFromSeed } from '../../core/ed25519.ts'
import { SteleError } from '../../core/errors.ts'
import { type Genesis, genesisFromJson, genesisToJson } from '../../core/genesis.ts'
import { readKeyFile, writeKeyFile } from '../../core/key-file.ts'
import { TX_TYPES } from '../../core/transaction.ts'

export interface NodeIdentity {
  genesis: Genesis
  /** This node's key: it produces blocks and, on a fresh local chain, is also the authority. */
  key: KeyPair
  /** The genesis faucet's key, when this data folder holds it (`faucet.key`, created with a fresh chain). */
  faucetKey?: KeyPair
}

/**
 * The ledger of a fresh local chain (genesis version 2): 1,000,000,000 STL of 6 decimals, all held by the faucet,
 * which grants 100 STL at a time; a transfer pays at least 0.001 STL to the block producer.
 */
export const LOCAL_LEDGER = {
  symbol: 'STL',
  decimals: 6,
  supply: 1_000_000_000_000_000n,
  faucetGrant: 100_000_000n,
  minFees: [{ type: TX_TYPES.TRANSFER, fee: 1_000n }],
} as const

async function loadOrCreateKey(path: string, create: boolean): Promise<KeyPair | undefined> {
  const key = await readKeyFile(path)
  if (key || !create) return key
  const fresh = keyPairFromSeed(new Uint8Array(randomBytes(32)))
  await writeKeyFile(path, fresh)
  return fresh
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
 * single producer and authority is this node's key, with a ledger whose faucet key (`faucet.key`) lies beside the
 * node key. A data folder whose genesis predates the ledger (version 1) keeps it: that chain has no accounts.
 */
export async function loadOrCreateIdentity(
  dataDir: string,
  opts: { now?: () => number; chainId?: string; genesisFile?: string } = {},
): Promise<NodeIdentity> {
  await mkdir(dataDir, { recursive: true })
  const keyPath = join(dataDir, 'node.key')
  const key = (await loadOrCreateKey(keyPath, true))!
  const faucetPath = join(dataDir, 'faucet.key')
  const genesisPath = join(dataDir, 'genesis.json')
  const existing = (await readJson(opts.genesisFile ?? genesisPath)) as unknown
  if (existing !== undefined) {
    const genesis = genesisFromJson(existing)
    const faucetKey = genesis.ledger ? await loadOrCreateKey(faucetPath, false) : undefined
    return faucetKey ? { genesis, key, faucetKey } : { genesis, key }
  }
  const faucetKey = (await loadOrCreateKey(faucetPath, true))!
  const genesis: Genesis = {
    chainId: opts.chainId ?? `stele-local-${randomBytes(3).toString('hex')}`,
    time: (opts.now ?? Date.now)(),
    producers: [key.publicKey],
    authority: key.publicKey,
    ledger: {
      symbol: LOCAL_LEDGER.symbol,
      decimals: LOCAL_LEDGER.decimals,
      faucet: faucetKey.publicKey,
      faucetGrant: LOCAL_LEDGER.faucetGrant,
      allocations: [{ account: faucetKey.publicKey, amount: LOCAL_LEDGER.supply }],
      minFees: [...LOCAL_LEDGER.minFees],
    },
  }
  await writeFile(genesisPath, `${JSON.stringify(genesisToJson(genesis), null, 2)}\n`)
  return { genesis, key, faucetKey }
}
