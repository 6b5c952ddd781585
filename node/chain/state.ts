import { toHex } from '../../core/bytes.ts'
import type { GatewayTip } from '../../core/node-api.ts'
import type { Db } from '../db/db.ts'
import { K, prefixEnd } from '../db/keys.ts'
import { ReadingIds } from './reading-ids.ts'
import { RecentChunkKeys } from './recent-chunks.ts'

export interface GatewayState {
  key: string
  name: string
  /** Device ids this gateway may report; empty: any. */
  devices: string[]
  registeredTx: string
  nextSeq: number
  prevHash: string
  nextRecordSeq: number
  /** HLC ms of the gateway's latest record: timestamps never go backwards within a gateway. */
  lastTime: number
  batches: number
  records: number
}

export interface ChainTip {
  height: number
  hash: string
  time: number
}

export const ZERO_HEX = '0'.repeat(64)

const json = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v))
const parse = <T>(v: Uint8Array): T => JSON.parse(Buffer.from(v).toString('utf8')) as T

export const encodeJson = json
export const decodeJson = parse

/** Registrations and per-gateway batch chains, kept in memory and persisted with every write that changes them. */
export class ChainState {
  readonly gateways = new Map<string, GatewayState>()
  tip: ChainTip
  /** Longest span (ms) between the first and last record of any stored series chunk. */
  maxChunkSpan = 0
  /** Each device's recent series chunk keys, noted after their write landed (readings pages skip the iterator). */
  readonly recentChunks = new RecentChunkKeys()
  /** Reading ids not yet written as a run (ingest adds, lookups read). */
  readonly readingIds = new ReadingIds()

  constructor(genesisHashHex: string, genesisTime: number) {
    this.tip = { height: 0, hash: genesisHashHex, time: genesisTime }
  }

  async load(db: Db): Promise<void> {
    const tip = await db.get(K.tip)
    if (tip) this.tip = parse<ChainTip>(tip)
    const span = await db.get(K.maxChunkSpan)
    if (span) this.maxChunkSpan = parse<number>(span)
    for await (const [, v] of db.iterator({ gt: K.gatewayPrefix, lt: prefixEnd(K.gatewayPrefix) })) {
      const g = parse<GatewayState>(v)
      this.gateways.set(g.key, g)
    }
  }

  tipFor(gateway: Uint8Array): GatewayTip {
    const g = this.gateways.get(toHex(gateway))
    if (!g) return { registered: false, nextSeq: 1, prevHash: ZERO_HEX, nextRecordSeq: 1 }
    return { registered: true, nextSeq: g.nextSeq, prevHash: g.prevHash, nextRecordSeq: g.nextRecordSeq }
  }
}
