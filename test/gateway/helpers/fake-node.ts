/**
 * An in-memory stand-in for the node side of NodeApi. It validates with the node's own `validateBatch`
 * (signature, registration, the gateway's batch chain, the Merkle root, record times), so it cannot drift from the
 * node; it only keeps state in memory instead of LevelDB and can be switched off or made to lose its answers. It
 * passes the NodeApi compliance suite (test/compliance/node-api.ts). A double of the other side, never of the
 * gateway under test.
 */
import { toHex } from '../../../core/bytes.ts'
import { SteleError } from '../../../core/errors.ts'
import { genesisToJson } from '../../../core/genesis.ts'
import type { GatewayTip, NodeApi, NodeInfo, SubmitResult, SubmittedBatch } from '../../../core/node-api.ts'
import type { StampedRecord } from '../../../core/record.ts'
import { decodeTx } from '../../../core/transaction.ts'
import { type GatewayState, ZERO_HEX } from '../../../node/chain/state.ts'
import { validateBatch } from '../../../node/chain/validate-batch.ts'

interface Chain {
  state: GatewayState
  /** Tx hash of each accepted batch sequence, to tell a resend from a conflict. */
  txHashes: Map<number, string>
}

type CallOptions = { signal?: AbortSignal | undefined }

export class FakeNode implements NodeApi {
  readonly chainId: string
  readonly chains = new Map<string, Chain>()
  readonly registered = new Set<string>()
  readonly records: StampedRecord[] = []
  /** When true every call fails as an unreachable node would. */
  down = false
  /** When set, the next submit is applied but its answer is lost (the caller sees a network error). */
  loseNextAnswer = false
  calls = 0
  submitted = 0
  duplicates = 0
  recordCount = 0

  constructor(opts: { chainId?: string; register?: Uint8Array[] } = {}) {
    this.chainId = opts.chainId ?? 'test-chain'
    for (const k of opts.register ?? []) this.registered.add(toHex(k))
  }

  register(key: Uint8Array): void {
    this.registered.add(toHex(key))
  }

  async info(opts: CallOptions = {}): Promise<NodeInfo> {
    this.gate(opts)
    return {
      chainId: this.chainId,
      height: 0,
      version: 'fake',
      genesis: genesisToJson({
        chainId: this.chainId,
        time: 0,
        producers: [new Uint8Array(32)],
        authority: new Uint8Array(32),
      }),
    }
  }

  async gatewayTip(gateway: Uint8Array, opts: CallOptions = {}): Promise<GatewayTip> {
    this.gate(opts)
    const gw = toHex(gateway)
    const s = this.chain(gw).state
    return {
      registered: this.registered.has(gw),
      nextSeq: s.nextSeq,
      prevHash: s.prevHash,
      nextRecordSeq: s.nextRecordSeq,
    }
  }

  async submitBatches(batches: readonly SubmittedBatch[], opts: CallOptions = {}): Promise<SubmitResult[]> {
    this.gate(opts)
    this.calls++
    const results: SubmitResult[] = []
    for (const b of batches) {
      try {
        results.push(await this.accept(b))
      } catch (e) {
        // As the node answers: the code of the refusal, and how many batches before it were accepted.
        const err =
          e instanceof SteleError ? e : new SteleError('STELE_BAD_ENCODING', String(e), { cause: e })
        throw new SteleError(err.code, err.message, {
          details: { ...err.details, accepted: results.length, results },
        })
      }
    }
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false
      throw new SteleError('STELE_UNAVAILABLE', 'fake node: answer lost on the way back')
    }
    return results
  }

  private async accept(b: SubmittedBatch): Promise<SubmitResult> {
    const tx = decodeTx(b.tx)
    const gw = toHex(tx.signer)
    const c = this.chain(gw)
    const verdict = await validateBatch(tx, b.records, {
      chainId: this.chainId,
      gateway: this.registered.has(gw) ? c.state : undefined,
      knownTxHash: async (seq) => c.txHashes.get(seq),
    })
    const hash = toHex(tx.hash)
    if (verdict.kind === 'duplicate') {
      this.duplicates++
      return { seq: verdict.header.seq, status: 'duplicate', txHash: hash }
    }
    const { header, headerHash, records } = verdict.batch
    const last = records[records.length - 1]!
    c.state = {
      ...c.state,
      nextSeq: header.seq + 1,
      prevHash: headerHash,
      nextRecordSeq: last.seq + 1,
      lastTime: last.time,
      batches: c.state.batches + 1,
      records: c.state.records + records.length,
    }
    c.txHashes.set(header.seq, hash)
    this.records.push(...records)
    this.submitted++
    this.recordCount += records.length
    return { seq: header.seq, status: 'accepted', txHash: hash }
  }

  private chain(gw: string): Chain {
    let c = this.chains.get(gw)
    if (!c) {
      const state: GatewayState = {
        key: gw,
        name: 'fake',
        devices: [],
        registeredTx: ZERO_HEX,
        nextSeq: 1,
        prevHash: ZERO_HEX,
        nextRecordSeq: 1,
        lastTime: 0,
        batches: 0,
        records: 0,
      }
      c = { state, txHashes: new Map() }
      this.chains.set(gw, c)
    }
    return c
  }

  private gate(opts: CallOptions): void {
    opts.signal?.throwIfAborted()
    if (this.down) throw new SteleError('STELE_UNAVAILABLE', 'fake node is down')
  }
}
