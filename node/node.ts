import { join } from 'node:path'
import { fromHex, toHex } from '../core/bytes.ts'
import { genesisHash, genesisToJson } from '../core/genesis.ts'
import type { Logger } from '../core/logger.ts'
import type { GatewayTip, NodeApi, NodeInfo, SubmitResult, SubmittedBatch } from '../core/node-api.ts'
import { encodeGatewayRegistration } from '../core/payloads.ts'
import { signTx, TX_TYPES } from '../core/transaction.ts'
import type { DeviceSummary } from './chain/devices.ts'
import { loadOrCreateIdentity, type NodeIdentity } from './chain/genesis-store.ts'
import { Ingest } from './chain/ingest.ts'
import { Mempool } from './chain/mempool.ts'
import { BlockProducer } from './chain/producer.ts'
import { ChainQuery } from './chain/query.ts'
import { RateLimiter } from './chain/rate-limit.ts'
import { ChainState, decodeJson } from './chain/state.ts'
import { type ChainReport, verifyChain } from './chain/verify-chain.ts'
import { type Db, openDb } from './db/db.ts'
import { K, prefixEnd } from './db/keys.ts'

export const VERSION = '0.1.0'

export interface NodeOptions {
  dataDir: string
  logger: Logger
  blockIntervalMs?: number
  maxTxsPerBlock?: number
  now?: () => number
  chainId?: string
  genesisFile?: string
  /** Write rate each gateway may sustain (records/s); bursts of twice that pass. */
  recordsPerSecPerGateway?: number
}

/**
 * One ledger node: identity and genesis, LevelDB, chain state, the write path (ingest), the block producer and the
 * read side. It implements NodeApi, so an in-process gateway holds the node itself as its client.
 */
export class SteleNode implements NodeApi {
  readonly state: ChainState
  readonly mempool = new Mempool()
  readonly devices = new Map<string, DeviceSummary>()
  readonly ingest: Ingest
  readonly producer: BlockProducer
  readonly query: ChainQuery
  readonly startedAt: number

  private constructor(
    readonly db: Db,
    readonly identity: NodeIdentity,
    readonly logger: Logger,
    readonly now: () => number,
    opts: NodeOptions,
  ) {
    const { genesis, key } = identity
    this.startedAt = now()
    this.state = new ChainState(toHex(genesisHash(genesis)), genesis.time)
    const rate = opts.recordsPerSecPerGateway ?? 500_000
    this.ingest = new Ingest(
      db,
      genesis,
      this.state,
      this.mempool,
      this.devices,
      new RateLimiter(rate, rate * 2, now),
    )
    this.producer = new BlockProducer(db, genesis, key, this.state, this.mempool, {
      intervalMs: opts.blockIntervalMs ?? 1000,
      maxTxs: opts.maxTxsPerBlock ?? 10_000,
      now,
    })
    this.query = new ChainQuery(db, genesis, this.mempool, this.state)
    this.producer.on('error', (e) =>
      logger.error({ err: e }, 'block production failed; will retry next interval'),
    )
  }

  static async open(opts: NodeOptions): Promise<SteleNode> {
    const now = opts.now ?? Date.now
    const idOpts: { now: () => number; chainId?: string; genesisFile?: string } = { now }
    if (opts.chainId) idOpts.chainId = opts.chainId
    if (opts.genesisFile) idOpts.genesisFile = opts.genesisFile
    const identity = await loadOrCreateIdentity(opts.dataDir, idOpts)
    const db = await openDb(join(opts.dataDir, 'chain'))
    const node = new SteleNode(db, identity, opts.logger, now, opts)
    try {
      await node.load()
    } catch (e) {
      await db.close()
      throw e
    }
    return node
  }

  private async load(): Promise<void> {
    await this.state.load(this.db)
    await this.mempool.load(this.db)
    for await (const [, v] of this.db.iterator({ gt: K.devicePrefix, lt: prefixEnd(K.devicePrefix) })) {
      const d = decodeJson<DeviceSummary>(v)
      this.devices.set(d.device, d)
    }
  }

  /** Checks the whole chain from genesis; refuses to start on a damaged one. */
  async verify(onProgress?: (height: number) => void): Promise<ChainReport> {
    const report = await verifyChain(
      this.db,
      this.identity.genesis,
      onProgress ? { onProgress, now: this.now } : { now: this.now },
    )
    if (report.height !== this.state.tip.height) {
      throw new Error(`chain tip says height ${this.state.tip.height} but blocks reach ${report.height}`)
    }
    return report
  }

  start(): void {
    this.producer.start()
  }

  async close(): Promise<void> {
    await this.producer.stop()
    await this.db.close()
  }

  get genesis() {
    return this.identity.genesis
  }

  async info(): Promise<NodeInfo> {
    return {
      chainId: this.genesis.chainId,
      genesis: genesisToJson(this.genesis),
      height: this.state.tip.height,
      version: VERSION,
    }
  }

  async gatewayTip(gateway: Uint8Array): Promise<GatewayTip> {
    return this.state.tipFor(gateway)
  }

  submitBatches(batches: readonly SubmittedBatch[]): Promise<SubmitResult[]> {
    return this.ingest.submitBatches(batches)
  }

  /** Registers a gateway with this node's own key; valid only where this node is the genesis authority. */
  async registerGateway(gatewayHex: string, name: string, devices: string[] = []): Promise<string> {
    const tx = signTx(
      {
        type: TX_TYPES.GATEWAY_REGISTER,
        chainId: this.genesis.chainId,
        signer: this.identity.key.publicKey,
        nonce: this.now(),
        payload: encodeGatewayRegistration({
          gateway: fromHex(gatewayHex, 'gateway key', 32),
          name,
          devices,
        }),
      },
      this.identity.key.secretKey,
    )
    return (await this.ingest.submitTx(tx.bytes)).hash
  }
}
