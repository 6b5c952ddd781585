import { join } from 'node:path'
import { fromHex, toHex } from '../core/bytes.ts'
import { SteleError } from '../core/errors.ts'
import { genesisHash, genesisToJson } from '../core/genesis.ts'
import type { Logger } from '../core/logger.ts'
import type { GatewayTip, NodeApi, NodeInfo, SubmitResult, SubmittedBatch } from '../core/node-api.ts'
import { encodeGatewayRegistration } from '../core/payloads.ts'
import { backgroundTimers, type Timers } from '../core/timers.ts'
import { decodeTx, signTx, TX_TYPES } from '../core/transaction.ts'
import { AppliedRecords } from './chain/applied-records.ts'
import { ChainIndex } from './chain/chain-index.ts'
import { type DeviceSummary, loadDevices } from './chain/devices.ts'
import { loadOrCreateIdentity, type NodeIdentity } from './chain/genesis-store.ts'
import { Ingest } from './chain/ingest.ts'
import { Mempool } from './chain/mempool.ts'
import { BlockProducer } from './chain/producer.ts'
import { ChainQuery } from './chain/query.ts'
import { ChainState } from './chain/state.ts'
import type { ChainReport } from './chain/verify-chain.ts'
import type { EquivocationEvidence } from './consensus/equivocation.ts'
import { encodeEvidencePayload } from './consensus/evidence-tx.ts'
import { finalHeight } from './consensus/finality.ts'
import { openCheckedLedger, verifyDataFolder } from './data-checks.ts'
import { type Db, openDb } from './db/db.ts'
import { ContractService, type ContractServiceInit } from './executor/service.ts'
import { Ledger } from './ledger/ledger.ts'
import { isLedgerType } from './ledger/registry.ts'
import type { NetworkInit, NodeNetwork } from './p2p/network.ts'
import { DriveService, drivePutCheck } from './storage/drive-service.ts'
import { PeerFiles } from './storage/peer-files.ts'
import { cidParam, Storage, type StorageInit } from './storage/storage.ts'
import { type HubInit, StreamHub } from './stream/hub.ts'

export const VERSION = '0.1.0'

export interface NodeOptions {
  dataDir: string
  logger: Logger
  blockIntervalMs?: number
  maxTxsPerBlock?: number
  /** Clock and timers of the block interval, the stream's heartbeats and presence; default backgroundTimers. */
  timers?: Timers
  chainId?: string
  genesisFile?: string
  /** Write rate each gateway may sustain (records/s); bursts of twice that pass. */
  recordsPerSecPerGateway?: number
  /** The live stream's limits and timers (heartbeat, presence checks). */
  stream?: HubInit
  /** Content-addressed storage: upload expiry and size limit (node/storage/storage.ts). */
  storage?: StorageInit
  /** The contract executor (node/executor/service.ts); fault injection for tests. */
  contracts?: ContractServiceInit
  /** Test hook (STELE_TEST_EQUIVOCATE): the producer signs a second block at each height it produces. */
  equivocate?: boolean
}

type CallOptions = { signal?: AbortSignal | undefined }

/**
 * One ledger node: identity and genesis, LevelDB, chain state, the write path (ingest), the block producer, the
 * read side and the live stream. Each part gets the few others it needs at construction. The node implements
 * NodeApi, so an in-process gateway holds the node itself as its client.
 */
export class SteleNode implements NodeApi {
  readonly state: ChainState
  readonly mempool = new Mempool()
  readonly devices = new Map<string, DeviceSummary>()
  readonly ingest: Ingest
  readonly producer: BlockProducer
  /** Per-height hashes, producers and weights: the consensus snapshot of the stored chain. */
  readonly index: ChainIndex
  /** Present once startNetwork ran: libp2p host, gossip and sync. */
  network: NodeNetwork | undefined
  /** Node registrations and equivocation evidence in blocks applied since start (GET /v1/nodes, /v1/evidence). */
  readonly applied: AppliedRecords
  readonly query: ChainQuery
  /** Accounts and the state map; absent on a chain whose genesis predates the ledger (version 1). */
  readonly ledger: Ledger | undefined
  /** The one stream hub: every WebSocket, SSE and MQTT listener shares its cursor and encodings. */
  readonly stream: StreamHub
  readonly storage: Storage
  /** Drives: pins what they reference and answers their challenges as a replicator; absent without a ledger. */
  readonly drives: DriveService | undefined
  /** Contract execution and re-execution; absent without a ledger. */
  readonly contracts: ContractService | undefined
  readonly startedAt: number

  private constructor(
    readonly db: Db,
    readonly identity: NodeIdentity,
    readonly logger: Logger,
    readonly timers: Timers,
    opts: NodeOptions,
  ) {
    const { genesis, key } = identity
    this.startedAt = timers.now()
    this.state = new ChainState(toHex(genesisHash(genesis)), genesis.time)
    const { state, mempool, devices } = this
    this.ingest = new Ingest(
      opts.recordsPerSecPerGateway === undefined
        ? {}
        : { recordsPerSecPerGateway: opts.recordsPerSecPerGateway },
      { db, genesis, state, mempool, devices, timers },
    )
    this.ledger = genesis.ledger
      ? new Ledger({
          db,
          genesis,
          mempool,
          producer: key.publicKey,
          faucetKey: identity.faucetKey,
          logger,
        })
      : undefined
    const { ledger } = this
    this.index = new ChainIndex(genesis)
    const index = this.index
    this.producer = new BlockProducer(
      {
        intervalMs: opts.blockIntervalMs ?? 1000,
        maxTxs: opts.maxTxsPerBlock ?? 10_000,
        ...(opts.equivocate ? { equivocate: true } : {}),
      },
      {
        db,
        genesis,
        key,
        state,
        mempool,
        index,
        timers,
        logger,
        ledger,
        paused: () => (this.network ? this.network.sync.syncing || this.network.sync.receiving : false),
      },
    )
    this.query = new ChainQuery(
      {},
      {
        db,
        genesis,
        mempool,
        state,
        finalHeight: () => this.finalHeight(),
      },
    )
    this.producer.on('rollback', () => this.query.forgetConfirmed())
    // Readings kept as `confirmed` while one producer had no finality become final once a second one registers.
    let several = false
    this.producer.on('block', () => {
      if (several === this.index.producers.length > 1) return
      several = !several
      this.query.forgetConfirmed()
    })
    this.applied = new AppliedRecords(this.producer)
    this.storage = new Storage(opts.storage ?? {}, { db, timers })
    const peerFiles = new PeerFiles(this.storage, () => this.network)
    this.drives = ledger
      ? new DriveService({
          blocks: this.producer,
          ledger,
          storage: this.storage,
          genesis,
          key,
          logger,
          fetchDag: (root, opts) => peerFiles.fetchDag(root, opts),
          timers,
          submit: (bytes) => this.submitTx(bytes),
        })
      : undefined
    ledger?.admissionChecks.push(drivePutCheck(this.storage, (cid) => peerFiles.fetchRoot(cid)))
    this.contracts = ledger
      ? new ContractService(opts.contracts ?? {}, {
          db,
          genesis,
          key,
          ledger,
          code: (cid) => peerFiles.readText(cid),
          pin: (cid) => this.storage.pin(cidParam(cid)),
          producer: this.producer,
          tipHeight: () => this.state.tip.height,
          submit: (bytes) => this.submitTx(bytes),
          logger,
          now: () => timers.now(),
        })
      : undefined
    const { ingest, producer, query } = this
    this.stream = new StreamHub(opts.stream ?? {}, {
      db,
      ingest,
      producer,
      query,
      state,
      devices,
      mempool,
      timers,
      contracts: this.contracts,
    })
  }

  static async open(opts: NodeOptions): Promise<SteleNode> {
    const timers = opts.timers ?? backgroundTimers
    const idOpts: { now: () => number; chainId?: string; genesisFile?: string } = { now: () => timers.now() }
    if (opts.chainId) idOpts.chainId = opts.chainId
    if (opts.genesisFile) idOpts.genesisFile = opts.genesisFile
    const identity = await loadOrCreateIdentity(opts.dataDir, idOpts)
    const db = await openDb(join(opts.dataDir, 'chain'))
    const node = new SteleNode(db, identity, opts.logger, timers, opts)
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
    await this.index.load(this.db)
    await this.mempool.load(this.db)
    await loadDevices(this.db, this.devices)
    await this.storage.load()
    if (this.ledger) await openCheckedLedger(this.db, this.ledger, this.state.tip.height)
  }

  /** Checks the whole chain from genesis; refuses to start on a damaged one. */
  verify(onProgress?: (height: number) => void): Promise<ChainReport> {
    const { db, identity, state, ledger, timers } = this
    return verifyDataFolder(db, identity.genesis, state.tip.height, ledger, () => timers.now(), onProgress)
  }

  /** Starts block production and the live stream. */
  start(): void {
    this.drives?.start()
    this.producer.start()
    this.stream.start()
    this.contracts?.start().catch((err) => this.logger.error({ err }, 'contract executor did not start'))
  }

  /** Joins the network: libp2p host, gossip of transactions, batches and blocks, and chain sync (node/p2p). */
  async startNetwork(init: NetworkInit = {}): Promise<NodeNetwork> {
    if (!this.network) {
      const { onEvidence } = init
      // Loaded here: libp2p is most of the node's module loading, and a node alone never needs it.
      const { NodeNetwork } = await import('./p2p/network.ts')
      this.network = await NodeNetwork.start(this, {
        ...init,
        onEvidence: onEvidence ?? ((e) => void this.reportEquivocation(e)),
      })
    }
    return this.network
  }

  /**
   * The highest final block: blocks signed by more than half the producers are built on it (consensus/finality.ts).
   * Looks at the last 256 blocks; a chain that found no majority in them reports the block before them. -1 while the
   * current producer set has one producer: a lone producer's blocks are `confirmed`, never `final` (a chain started
   * with one producer reports finality from the block whose registration gives it a second). The one finality
   * function: readings, transactions and health all read it.
   */
  finalHeight(): number {
    if (this.index.producers.length < 2) return -1
    const tip = this.state.tip.height
    const from = Math.max(1, tip - 255)
    return finalHeight(from, this.index.producersOf(from, tip), this.index.producers.length)
  }

  /** Ends every stream subscription and stops producing blocks; the node still answers calls. */
  async stop(): Promise<void> {
    await this.drives?.stop()
    await this.network?.stop()
    this.network = undefined
    await this.stream.stop()
    await this.producer.stop()
    await this.contracts?.stop()
  }

  /** Stops, lets every accepted write land, and closes the database. */
  async close(): Promise<void> {
    await this.stop()
    await this.ingest.stop()
    await this.db.close()
  }

  get genesis() {
    return this.identity.genesis
  }

  async info(opts: CallOptions = {}): Promise<NodeInfo> {
    opts.signal?.throwIfAborted()
    return {
      chainId: this.genesis.chainId,
      genesis: genesisToJson(this.genesis),
      height: this.state.tip.height,
      version: VERSION,
    }
  }

  async gatewayTip(gateway: Uint8Array, opts: CallOptions = {}): Promise<GatewayTip> {
    opts.signal?.throwIfAborted()
    return this.state.tipFor(gateway)
  }

  async submitBatches(batches: readonly SubmittedBatch[], opts: CallOptions = {}): Promise<SubmitResult[]> {
    // A gateway's batch must fit this producer's blocks now (lower on a network); a peer's block's batches, already
    // in a block, are held to MAX_BLOCK_BYTES alone (network.ts).
    const results = await this.ingest.submitBatches(batches, {
      ...opts,
      maxBlockBytes: this.producer.blockBytes,
    })
    this.network?.publishBatches(batches, results)
    return results
  }

  /**
   * Any signed transaction (POST /v1/transactions): ledger types through the ledger's admission, gateway
   * registrations through theirs; record batches come with their records through submitBatches.
   */
  async submitTx(
    bytes: Uint8Array,
    opts: { gossip?: boolean } = {},
  ): Promise<{ hash: string; status: 'accepted' | 'duplicate' }> {
    const r = await this.admitTx(bytes)
    if (r.status === 'accepted' && opts.gossip !== false) this.network?.publishTx(bytes)
    return r
  }

  private async admitTx(bytes: Uint8Array): Promise<{ hash: string; status: 'accepted' | 'duplicate' }> {
    const tx = decodeTx(bytes)
    if (isLedgerType(tx.type)) {
      if (!this.ledger)
        throw new SteleError(
          'STELE_UNAVAILABLE',
          'this chain has no ledger: its genesis is version 1, made before accounts existed',
        )
      await this.contracts?.precheck(tx)
      return this.ledger.submit(tx)
    }
    if (tx.type === TX_TYPES.RECORD_BATCH)
      throw new SteleError('STELE_TX_INVALID', 'a record batch is sent with its records to POST /v1/batches')
    if (tx.type !== TX_TYPES.GATEWAY_REGISTER)
      throw new SteleError(
        'STELE_UNKNOWN_TX_TYPE',
        `transaction type ${tx.type} is not accepted by this node`,
        { details: { type: tx.type } },
      )
    return this.ingest.submitTx(bytes)
  }

  /**
   * Records proof that a producer signed two blocks at one height: an evidence transaction signed by this node's
   * key, admitted and gossiped like any other. Resolves with its hash, or undefined on a chain without a ledger.
   */
  async reportEquivocation(e: EquivocationEvidence): Promise<string | undefined> {
    if (!this.ledger) return undefined
    const key = this.identity.key
    try {
      const { nonce } = await this.ledger.account(key.publicKey, { pending: true })
      const tx = signTx(
        {
          type: TX_TYPES.EQUIVOCATION_EVIDENCE,
          chainId: this.genesis.chainId,
          signer: key.publicKey,
          nonce,
          payload: encodeEvidencePayload({ fee: 0n, evidence: e }),
        },
        key.secretKey,
      )
      const r = await this.submitTx(tx.bytes)
      this.logger.warn({ tx: r.hash }, 'equivocation evidence submitted')
      return r.hash
    } catch (err) {
      this.logger.warn({ err }, 'equivocation evidence refused (already recorded?)')
      return undefined
    }
  }

  /** Registers a gateway with this node's own key; valid only where this node is the genesis authority. */
  async registerGateway(gatewayHex: string, name: string, devices: string[] = []): Promise<string> {
    const tx = signTx(
      {
        type: TX_TYPES.GATEWAY_REGISTER,
        chainId: this.genesis.chainId,
        signer: this.identity.key.publicKey,
        nonce: this.timers.now(),
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
