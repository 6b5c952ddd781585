import type { Genesis } from '../../core/genesis.ts'
import type { Logger } from '../../core/logger.ts'
import type { Timers } from '../../core/timers.ts'
import type { ChainIndex } from '../chain/chain-index.ts'
import type { NodeIdentity } from '../chain/genesis-store.ts'
import type { Ingest } from '../chain/ingest.ts'
import type { Mempool } from '../chain/mempool.ts'
import type { BlockProducer } from '../chain/producer.ts'
import type { ChainState } from '../chain/state.ts'
import type { Db } from '../db/db.ts'
import type { Ledger } from '../ledger/ledger.ts'
import type { Storage } from '../storage/storage.ts'
import type { StreamHub } from '../stream/hub.ts'

/** What the network layer uses of the node: handed in at start, so p2p never reaches the SteleNode class. */
export interface NetworkComponents {
  readonly db: Db
  readonly genesis: Genesis
  readonly identity: NodeIdentity
  readonly index: ChainIndex
  readonly ingest: Ingest
  readonly logger: Logger
  readonly mempool: Mempool
  readonly producer: BlockProducer
  readonly state: ChainState
  readonly storage: Storage
  readonly timers: Timers
  submitTx(
    bytes: Uint8Array,
    opts?: { gossip?: boolean },
  ): Promise<{ hash: string; status: 'accepted' | 'duplicate' }>
  /** For the presence service: who counts as a known account. */
  readonly applied: { readonly knownNodes: ReadonlySet<string> }
  readonly ledger: Ledger | undefined
  readonly stream: StreamHub
}

/** What the presence service uses of the node. */
export type PresenceComponents = Pick<
  NetworkComponents,
  'applied' | 'genesis' | 'identity' | 'index' | 'ledger' | 'logger' | 'stream' | 'timers'
>
