import type { Genesis } from '../../core/genesis.ts'
import type { NodeApi } from '../../core/node-api.ts'
import type { Timers } from '../../core/timers.ts'
import type { DeviceSummary } from '../chain/devices.ts'
import type { Ingest } from '../chain/ingest.ts'
import type { Mempool } from '../chain/mempool.ts'
import type { ChainQuery } from '../chain/query.ts'
import type { ChainState } from '../chain/state.ts'
import type { Db } from '../db/db.ts'
import type { ContractService } from '../executor/service.ts'
import type { Ledger } from '../ledger/ledger.ts'
import type { DriveService } from '../storage/drive-service.ts'
import type { Storage } from '../storage/storage.ts'
import type { StreamHub } from '../stream/hub.ts'

/**
 * What the API plugins use of the node: each plugin takes the Pick it reads (as node/p2p/components.ts does for the
 * network), so a route reaches its layer through a small interface, not the SteleNode class, and can be tested
 * with only that.
 */
export interface ApiComponents extends Pick<NodeApi, 'info' | 'gatewayTip' | 'submitBatches'> {
  readonly db: Db
  readonly genesis: Genesis
  readonly devices: ReadonlyMap<string, DeviceSummary>
  readonly state: ChainState
  readonly mempool: Mempool
  readonly ingest: Ingest
  readonly query: ChainQuery
  readonly storage: Storage
  readonly stream: StreamHub
  readonly timers: Timers
  /** Absent on a chain whose genesis predates the ledger (version 1), as are drives and contracts. */
  readonly ledger: Ledger | undefined
  readonly drives: DriveService | undefined
  readonly contracts: ContractService | undefined
}
