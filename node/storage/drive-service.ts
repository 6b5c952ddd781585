import { decode as decodePb } from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import { equalBytes, toHex } from '../../core/bytes.ts'
import { decodeDrivePut, encodeStorageProofTx } from '../../core/drive-payloads.ts'
import { directoryBlock, driveChallenge } from '../../core/drive-proof.ts'
import { type DriveState, decodeDriveState, decodeKeyList } from '../../core/drive-state.ts'
import type { KeyPair } from '../../core/ed25519.ts'
import { isSteleError, SteleError } from '../../core/errors.ts'
import type { Genesis } from '../../core/genesis.ts'
import { minFee } from '../../core/genesis-ledger.ts'
import type { Logger } from '../../core/logger.ts'
import { DAG_PB, decodeFileNode } from '../../core/storage-proof.ts'
import { backgroundTimers, type Timers } from '../../core/timers.ts'
import { decodeTx, type SignedTx, signTx, TX_TYPES } from '../../core/transaction.ts'
import type { ProducedBlock } from '../chain/producer.ts'
import type { Ledger } from '../ledger/ledger.ts'
import { driveKey, OPEN_DRIVES_KEY } from './drive-rules.ts'
import { ReplicaFetcher, type ReplicaFetcherInit, type ReplicaState } from './replica-fetcher.ts'
import type { Storage } from './storage.ts'

/** The producer's 'block' event: every block committed on this node. */
export interface BlockSource {
  on(event: 'block' | 'rollback', fn: (b: ProducedBlock) => void): unknown
  off(event: 'block' | 'rollback', fn: (b: ProducedBlock) => void): unknown
}

export interface DriveServiceComponents {
  blocks: BlockSource
  ledger: Ledger
  storage: Storage
  genesis: Genesis
  /** The node key: the replicator's identity, which signs its storage proofs. */
  key: KeyPair
  logger: Logger
  /**
   * Fetches from peers every block of the DAG under a root that this node lacks (node/p2p/blocks-by-cid.ts);
   * absent on a node off the network, which answers from what it holds.
   */
  fetchDag?: (root: CID, opts: { signal: AbortSignal }) => Promise<number>
  /** The replica fetcher's backoff and deadlines run on these (default backgroundTimers). */
  timers?: Timers
  /** The backoff's jitter (default Math.random). */
  random?: () => number
  /** Concurrency, attempts and backoff of the fetch on assignment. */
  replicaFetch?: ReplicaFetcherInit
  /**
   * Submits the answer through the node's admission, which gossips it: the producer of the next block may be
   * another node. Absent: the ledger's own admission (this node's mempool only).
   */
  submit?: (bytes: Uint8Array) => Promise<{ hash: string }>
}

/** The size and DAG size (the directory link's Tsize) of a stored file; STELE_CID_UNKNOWN when absent. */
export async function fileEntry(storage: Storage, cid: CID): Promise<{ size: number; tsize: number }> {
  let root: Uint8Array
  try {
    root = await storage.blocks.getBytes(cid)
  } catch (e) {
    if (isSteleError(e) && e.code === 'STELE_NOT_FOUND')
      throw new SteleError('STELE_CID_UNKNOWN', `${cid} is not stored on this node; upload it first`, {
        details: { cid: cid.toString() },
      })
    throw e
  }
  const { size } = await storage.stat(cid)
  return { size, tsize: dagSize(cid, root) }
}

/** A file's DAG size from its root block alone: the root's bytes plus its links' Tsize (a raw block: its length). */
function dagSize(cid: CID, root: Uint8Array): number {
  if (cid.code !== DAG_PB) return root.length
  return decodePb(root).Links.reduce((n, l) => n + (l.Tsize ?? 0), root.length)
}

/** The same entry from a root block fetched from a peer (checked against its CID there), not stored here. */
export function rootEntry(cid: CID, root: Uint8Array): { size: number; tsize: number } {
  const size = cid.code === DAG_PB ? Number(decodeFileNode(root).unixfs.fileSize()) : root.length
  return { size, tsize: dagSize(cid, root) }
}

/**
 * The node's side of drives: after each block, keeps what drives reference (files pinned, each drive's directory
 * block stored, so `GET /v1/storage/files/<root>/car` exports the drive) and, where this node is a replicator of a
 * drive whose challenge opened in that block, builds the answer from its own blockstore and submits it. A node that
 * cannot build one (a block lost) submits nothing: the period counts as missed.
 */
export class DriveService {
  /** Fetches this node's replicas as the chain assigns them; its counters feed /metrics. */
  readonly replicas: ReplicaFetcher
  private chain: Promise<void> = Promise.resolve()
  private readonly onBlock = (b: ProducedBlock) => {
    this.chain = this.chain.then(() =>
      this.afterBlock(b.header.height, b.txs).catch((err) =>
        this.c.logger.error({ err, height: b.header.height }, 'drive service: block handling failed'),
      ),
    )
  }

  private readonly onRollback = (b: ProducedBlock) => {
    this.chain = this.chain.then(() =>
      this.afterRollback(b).catch((err) =>
        this.c.logger.error({ err, height: b.header.height }, 'drive service: rollback handling failed'),
      ),
    )
  }

  constructor(private readonly c: DriveServiceComponents) {
    const { fetchDag } = c
    this.replicas = new ReplicaFetcher(c.replicaFetch ?? {}, {
      storage: c.storage,
      fetchDag: fetchDag
        ? (root, opts) => fetchDag(root, opts)
        : async (root) => {
            throw new SteleError('STELE_UNAVAILABLE', `${root} is not here and this node is on no network`)
          },
      timers: c.timers ?? backgroundTimers,
      random: c.random ?? Math.random,
      logger: c.logger,
    })
  }

  /** Listens for blocks and queues the replicas of open drives this node is assigned but does not hold whole. */
  start(): void {
    this.c.blocks.on('block', this.onBlock)
    this.c.blocks.on('rollback', this.onRollback)
    this.chain = this.chain.then(() =>
      this.resume().catch((err) => this.c.logger.error({ err }, 'drive service: resuming replicas failed')),
    )
  }

  /** Stops listening, waits for the block being handled and aborts the replica fetches under way. */
  async stop(): Promise<void> {
    this.c.blocks.off('block', this.onBlock)
    this.c.blocks.off('rollback', this.onRollback)
    await this.chain
    await this.replicas.stop()
  }

  /** This node's replica of a drive it is assigned; undefined when it is not one of the drive's replicators. */
  async replica(id: Uint8Array, d: DriveState): Promise<ReplicaState | undefined> {
    if (!this.replicates(d)) return undefined
    return this.replicas.state(
      toHex(id),
      d.files.map((f) => CID.decode(f.cid)),
    )
  }

  private replicates(d: DriveState): boolean {
    return d.replicators.some((r) => equalBytes(r.key, this.c.key.publicKey))
  }

  /** An active drive this node replicates: its files are fetched now, not at the first challenge. */
  private assigned(id: Uint8Array, d: DriveState): void {
    if (d.status !== 'active' || !this.replicates(d) || d.files.length === 0) return
    this.replicas.want(
      toHex(id),
      d.files.map((f) => CID.decode(f.cid)),
    )
  }

  private async resume(): Promise<void> {
    const index = await this.c.ledger.map.get(OPEN_DRIVES_KEY)
    for (const id of index ? decodeKeyList(index) : []) {
      const d = await this.drive(id)
      if (d) this.assigned(id, d)
    }
  }

  /** Resolves once every block seen so far is handled (tests wait on it). */
  idle(): Promise<void> {
    return this.chain
  }

  private async drive(id: Uint8Array): Promise<DriveState | undefined> {
    const v = await this.c.ledger.map.get(driveKey(id))
    return v ? decodeDriveState(v) : undefined
  }

  private async afterBlock(height: number, txs: SignedTx[], answer = true): Promise<void> {
    const { ledger } = this.c
    const touched = new Set<string>()
    for (const tx of txs)
      if (tx.type >= TX_TYPES.DRIVE_CREATE && tx.type <= TX_TYPES.DRIVE_CLOSE)
        touched.add(toHex(tx.type === TX_TYPES.DRIVE_CREATE ? tx.hash : tx.payload.subarray(8, 40)))
    for (const hex of touched) {
      const id = Buffer.from(hex, 'hex')
      const d = await this.drive(id)
      if (!d) continue
      await this.keep(d)
      this.assigned(id, d)
    }
    if (!answer) return
    const index = await ledger.map.get(OPEN_DRIVES_KEY)
    for (const id of index ? decodeKeyList(index) : []) {
      const d = await this.drive(id)
      if (!d || d.challenge.height !== height) continue
      if (!this.replicates(d)) continue
      await this.answer(id, d).catch((err) =>
        this.c.logger.warn({ err, drive: toHex(id), height }, 'drive service: no answer to the challenge'),
      )
    }
  }

  /**
   * A reorg took block `b` off: drive states, open challenges and answered periods are ledger state, which the
   * rollback restored, so nothing is kept here per height. What can go stale is this node's side: the directory of
   * a drive the block changed is stored again for the restored file list, and an open challenge of a drive this node
   * replicates that the restored state shows unanswered is answered again (its earlier answer may have been sealed
   * in the block that is gone; when that answer is pending again, admission refuses the second one).
   */
  private async afterRollback(b: ProducedBlock): Promise<void> {
    const tip = b.header.height - 1
    await this.afterBlock(tip, b.txs, false)
    const index = await this.c.ledger.map.get(OPEN_DRIVES_KEY)
    for (const id of index ? decodeKeyList(index) : []) {
      const d = await this.drive(id)
      if (!d || d.challenge.height === 0 || d.challenge.height > tip) continue
      const me = d.replicators.find((r) => equalBytes(r.key, this.c.key.publicKey))
      if (!me || me.answered >= d.challenge.height) continue
      await this.answer(id, d).catch((err) =>
        this.c.logger.debug({ err, drive: toHex(id), tip }, 'drive service: no new answer after a rollback'),
      )
    }
  }

  /** Pins the drive's files (best effort: a file not held here is the replicator's loss) and stores its directory. */
  private async keep(d: DriveState): Promise<void> {
    const dir = directoryBlock(d.files)
    await this.c.storage.blocks.put(dir.cid, dir.bytes)
    for (const f of d.files) {
      const cid = CID.decode(f.cid)
      if (await this.c.storage.blocks.has(cid)) await this.c.storage.pin(cid)
    }
  }

  /** Builds and submits this node's answer to the drive's open challenge. */
  async answer(id: Uint8Array, d: DriveState): Promise<string> {
    const { key, genesis, ledger, storage } = this.c
    const ch = driveChallenge(d.challenge.seed, id, key.publicKey, d.files)
    if (!ch) throw new SteleError('STELE_CHALLENGE_INVALID', 'the drive has no bytes to prove')
    const proof = await storage.proof(ch.cid, ch.offset).catch(async (err) => {
      // A replica this node was assigned but never received (or lost): fetched from peers, checked, then proved.
      if (!this.c.fetchDag || !isSteleError(err) || err.code !== 'STELE_NOT_FOUND') throw err
      const fetched = await this.replicas.fetchOnce(ch.cid)
      await storage.pin(ch.cid)
      this.c.logger.info(
        { drive: toHex(id), cid: ch.cid.toString(), fetched },
        'drive service: replica fetched',
      )
      return storage.proof(ch.cid, ch.offset)
    })
    const payload = encodeStorageProofTx({
      fee: minFee(genesis.ledger, TX_TYPES.STORAGE_PROOF),
      drive: id,
      height: d.challenge.height,
      directory: directoryBlock(d.files).bytes,
      nodes: proof.nodes,
      leaf: proof.leaf,
    })
    const nonce = (await ledger.account(key.publicKey, { pending: true })).nonce
    const tx = signTx(
      { type: TX_TYPES.STORAGE_PROOF, chainId: genesis.chainId, signer: key.publicKey, nonce, payload },
      key.secretKey,
    )
    const r = this.c.submit ? await this.c.submit(tx.bytes) : await ledger.submit(decodeTx(tx.bytes))
    return r.hash
  }
}

/**
 * Admission check: a drive-put's CID must be held by this node, or (`fetchRoot`, on a network) by a peer, with the
 * size and DAG size the payload states. Only the root block is needed for both, so a node that is not the file's
 * replicator checks a put gossiped from the uploader without fetching the file; before, it refused it, and the put
 * reached a block only when the uploader itself could seal the next one.
 */
export function drivePutCheck(
  storage: Storage,
  fetchRoot?: (cid: CID) => Promise<Uint8Array>,
): (tx: SignedTx) => Promise<void> {
  return async (tx) => {
    if (tx.type !== TX_TYPES.DRIVE_PUT) return
    const p = decodeDrivePut(tx.payload)
    const cid = CID.decode(p.cid)
    const e = await fileEntry(storage, cid).catch(async (err) => {
      if (!fetchRoot || !isSteleError(err) || err.code !== 'STELE_CID_UNKNOWN') throw err
      // Not held by any peer either (or no network): the refusal says the file is unknown here.
      const root = await fetchRoot(cid).catch(() => {
        throw err
      })
      return rootEntry(cid, root)
    })
    if (e.size !== p.size || e.tsize !== p.tsize)
      throw new SteleError(
        'STELE_CID_UNKNOWN',
        `${cid} holds ${e.size} bytes in a DAG of ${e.tsize}, not ${p.size} and ${p.tsize}`,
        { details: { size: e.size, tsize: e.tsize } },
      )
  }
}
