import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ROLES } from '../../core/account.ts'
import { toHex } from '../../core/bytes.ts'
import type { KeyPair } from '../../core/ed25519.ts'
import { type Genesis, genesisToJson } from '../../core/genesis.ts'
import { writeKeyFile } from '../../core/key-file.ts'
import { encodeNodeRegistration } from '../../core/ledger-payloads.ts'
import { silentLogger } from '../../core/logger.ts'
import { type SignedTx, signTx, TX_TYPES } from '../../core/transaction.ts'
import { decodeWireBlock, loadWireBlock, type WireBlock } from '../../node/chain/wire-block.ts'
import type { ContractServiceInit } from '../../node/executor/service.ts'
import { SteleNode } from '../../node/node.ts'
import type { NetworkInit } from '../../node/p2p/network.ts'
import { chainProtocols } from '../../node/p2p/protocols.ts'
import { tempDir } from './tmp.ts'
import { until } from './wait.ts'

/**
 * Several real nodes of one chain in this process, each with its own key and LevelDB in a temp folder: the
 * fixture of the tests where blocks go from one node to another (carried by hand, or over a started network).
 */

export interface LedgerGenesisInit {
  chainId: string
  /** The producers in turn order; the first is the authority and the faucet, funded with 1,000,000 units. */
  producers: KeyPair[]
  /** Accounts funded with 1,000,000 units besides the authority. */
  funded?: KeyPair[]
  time?: number
  faucetGrant?: bigint
}

export function ledgerGenesis(init: LedgerGenesisInit): Genesis {
  const authority = init.producers[0]!.publicKey
  return {
    chainId: init.chainId,
    time: init.time ?? 1_700_000_000_000,
    producers: init.producers.map((k) => k.publicKey),
    authority,
    ledger: {
      symbol: 'STL',
      decimals: 6,
      faucet: authority,
      faucetGrant: init.faucetGrant ?? 100n,
      allocations: [authority, ...(init.funded ?? []).map((k) => k.publicKey)]
        .map((account) => ({ account, amount: 1_000_000n }))
        .sort((x, y) => Buffer.compare(x.account, y.account)),
      minFees: [],
    },
  }
}

export interface OpenNodeOptions {
  /** Default one hour: the test decides when blocks are made. */
  blockIntervalMs?: number
  /** Start the node's producer and services (default true). */
  start?: boolean
  contracts?: ContractServiceInit
  /** Start the p2p network with this init (after start). */
  network?: NetworkInit
}

/** Opens nodes of `genesis`; `closeAll` (in afterEach) closes them, last opened first, and removes their folders. */
export function inProcessNetwork(genesis: Genesis) {
  const cleanups: (() => Promise<void>)[] = []
  return {
    async open(key: KeyPair, opts: OpenNodeOptions = {}): Promise<SteleNode> {
      const dir = await tempDir(`stele-${genesis.chainId}-`)
      await writeKeyFile(join(dir.path, 'node.key'), key)
      const file = join(dir.path, 'genesis.json')
      await writeFile(file, JSON.stringify(genesisToJson(genesis)))
      const node = await SteleNode.open({
        dataDir: dir.path,
        logger: silentLogger,
        blockIntervalMs: opts.blockIntervalMs ?? 3_600_000,
        genesisFile: file,
        ...(opts.contracts ? { contracts: opts.contracts } : {}),
      })
      if (opts.start !== false) node.start()
      cleanups.push(async () => {
        await node.close()
        await dir.cleanup()
      })
      if (opts.network) await node.startNetwork(opts.network)
      return node
    },
    async closeAll(): Promise<void> {
      for (const c of cleanups.splice(0).reverse()) await c()
    },
  }
}

/**
 * `to` takes `from`'s block the way a peer's block arrives: batches with their records and gateway registrations
 * through ingest, ledger transactions through the node's admission (which re-executes a contract result), then
 * producer.applyBlock.
 */
export async function carry(from: SteleNode, to: SteleNode, height: number): Promise<WireBlock> {
  const block = decodeWireBlock((await loadWireBlock(from.db, height))!)
  for (const { tx, records } of block.txs) {
    if (to.mempool.has(toHex(tx.hash))) continue
    if (records.length > 0) await to.ingest.submitBatches([{ tx: tx.bytes, records }])
    else if (tx.type === TX_TYPES.GATEWAY_REGISTER) await to.ingest.submitTx(tx.bytes)
    else await to.submitTx(tx.bytes)
  }
  await to.producer.applyBlock(block)
  return block
}

/** The genesis authority's node-register of `node` as a producer (nonce 0: its first transaction). */
export function producerRegistration(genesis: Genesis, authority: KeyPair, node: KeyPair): SignedTx {
  return signTx(
    {
      type: TX_TYPES.NODE_REGISTER,
      chainId: genesis.chainId,
      signer: authority.publicKey,
      nonce: 0,
      payload: encodeNodeRegistration({
        fee: 0n,
        node: node.publicKey,
        roles: ROLES.PRODUCER,
        endpoints: [],
      }),
    },
    authority.secretKey,
  )
}

/**
 * Waits until `hub` and each of `spokes` are in each other's gossip meshes for the chain's topics. Gossipsub builds
 * meshes on its heartbeat; a block published before then never reaches a node that is no chain node, and such a
 * node may not fetch it by sync (block sync serves chain nodes only).
 */
export async function gossipMeshed(hub: SteleNode, spokes: SteleNode[]): Promise<void> {
  const { txTopic, blockTopic } = chainProtocols(hub.genesis.chainId)
  const mesh = (n: SteleNode, topic: string): string[] =>
    (n.network!.host.services.pubsub as unknown as { getMeshPeers(t: string): string[] }).getMeshPeers(topic)
  const id = (n: SteleNode) => n.network!.host.peerId.toString()
  await until(
    () =>
      [txTopic, blockTopic].every((t) =>
        spokes.every((s) => mesh(hub, t).includes(id(s)) && mesh(s, t).includes(id(hub))),
      ),
    { what: 'gossip meshes between the hub and every spoke', timeoutMs: 15_000 },
  )
}
