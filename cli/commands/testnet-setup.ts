import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type KeyPair, keyPairFromSeed } from '../../core/ed25519.ts'
import { type Genesis, genesisFromJson, genesisToJson } from '../../core/genesis.ts'
import { readKeyFile, writeKeyFile } from '../../core/key-file.ts'
import { LOCAL_LEDGER } from '../../node/chain/genesis-store.ts'
import { peerIdOfKey } from '../../node/p2p/peer-key.ts'

export interface TestnetNode {
  index: number
  dataDir: string
  key: KeyPair
  httpPort: number
  p2pPort: number
  /** /ip4/127.0.0.1/tcp/<p2p port>/p2p/<peer id> */
  p2pAddr: string
}

export interface TestnetLayout {
  genesis: Genesis
  nodes: TestnetNode[]
  /** Node 0's data folder also holds the authority key (its node key) and the faucet key. */
  authority: KeyPair
}

async function keyAt(path: string): Promise<KeyPair> {
  const existing = await readKeyFile(path)
  if (existing) return existing
  const k = keyPairFromSeed(new Uint8Array(randomBytes(32)))
  await writeKeyFile(path, k)
  return k
}

/**
 * The folders, keys and one genesis of a local network of `n` nodes: genesis names every node key as a producer
 * (Genesis.producers, already a list) and node 0's key as the authority; each node's data folder holds the same
 * genesis.json. Run again on the same folder, it keeps the keys and the genesis (the chain continues).
 */
export async function prepareTestnet(o: {
  data: string
  nodes: number
  basePort: number
  p2pBasePort: number
  chainId?: string
}): Promise<TestnetLayout> {
  const nodes: TestnetNode[] = []
  for (let i = 0; i < o.nodes; i++) {
    const dataDir = join(o.data, `node-${i}`)
    await mkdir(join(dataDir, 'node'), { recursive: true })
    const key = await keyAt(join(dataDir, 'node', 'node.key'))
    const p2pPort = o.p2pBasePort + i
    nodes.push({
      index: i,
      dataDir,
      key,
      httpPort: o.basePort + i,
      p2pPort,
      p2pAddr: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${peerIdOfKey(key.publicKey).toString()}`,
    })
  }
  const first = nodes[0]!
  const genesisPath = join(first.dataDir, 'node', 'genesis.json')
  let genesis: Genesis
  try {
    genesis = genesisFromJson(JSON.parse(await readFile(genesisPath, 'utf8')))
  } catch {
    const faucet = await keyAt(join(first.dataDir, 'node', 'faucet.key'))
    genesis = {
      chainId: o.chainId ?? `stele-testnet-${randomBytes(3).toString('hex')}`,
      time: Date.now(),
      producers: nodes.map((n) => n.key.publicKey),
      authority: first.key.publicKey,
      ledger: {
        symbol: LOCAL_LEDGER.symbol,
        decimals: LOCAL_LEDGER.decimals,
        faucet: faucet.publicKey,
        faucetGrant: LOCAL_LEDGER.faucetGrant,
        allocations: [{ account: faucet.publicKey, amount: LOCAL_LEDGER.supply }],
        minFees: [...LOCAL_LEDGER.minFees],
      },
    }
  }
  const json = `${JSON.stringify(genesisToJson(genesis), null, 2)}\n`
  for (const n of nodes) await writeFile(join(n.dataDir, 'node', 'genesis.json'), json)
  return { genesis, nodes, authority: first.key }
}

/** `stele node` arguments of one testnet node: its folder, ports, and every other node as a peer. */
export function nodeArgs(layout: TestnetLayout, i: number, blockIntervalMs: number): string[] {
  const n = layout.nodes[i]!
  return [
    'node',
    '--data',
    n.dataDir,
    '--port',
    String(n.httpPort),
    '--block-interval',
    String(blockIntervalMs),
    '--listen-p2p',
    `/ip4/127.0.0.1/tcp/${n.p2pPort}`,
    ...layout.nodes.filter((o) => o.index !== i).flatMap((o) => ['--peer', o.p2pAddr]),
  ]
}
