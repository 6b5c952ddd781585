import { decodeBlockHeader } from '../core/block.ts'
import { equalBytes, toHex } from '../core/bytes.ts'
import { SteleError } from '../core/errors.ts'
import type { Genesis } from '../core/genesis.ts'
import { type ChainReport, verifyChain } from './chain/verify-chain.ts'
import { decodeStoredBlock } from './db/codec.ts'
import type { Db } from './db/db.ts'
import { K } from './db/keys.ts'
import type { Ledger } from './ledger/ledger.ts'

/** The checks a node makes of its data folder: it refuses to start on a damaged one (STELE_STORAGE). */

/** Opens the ledger at the tip: the state map must be whole (its root recomputed from its values) and be the tip's state root. */
export async function openCheckedLedger(db: Db, ledger: Ledger, tipHeight: number): Promise<void> {
  await ledger.open(tipHeight)
  const damaged = (what: string) =>
    new SteleError('STELE_STORAGE', `state map: ${what}; the data folder is damaged`)
  if (!equalBytes(await ledger.map.rebuildRoot(), ledger.map.root))
    throw damaged('the root recomputed from the stored values differs from the committed root')
  if (tipHeight === 0) return
  const stored = await db.get(K.block(tipHeight))
  if (!stored) throw damaged(`block ${tipHeight} is missing`)
  const header = decodeBlockHeader(decodeStoredBlock(stored).header)
  if (!header.stateRoot || !equalBytes(header.stateRoot, ledger.map.root))
    throw damaged(`the committed root is not the state root of block ${tipHeight}`)
}

/** Checks the whole chain from genesis against the tip and, with a ledger, the state replayed against the kept one. */
export async function verifyDataFolder(
  db: Db,
  genesis: Genesis,
  tipHeight: number,
  ledger: Ledger | undefined,
  now: () => number,
  onProgress?: (height: number) => void,
): Promise<ChainReport> {
  const report = await verifyChain(db, genesis, onProgress ? { onProgress, now } : { now })
  if (report.height !== tipHeight) {
    throw new SteleError(
      'STELE_STORAGE',
      `chain tip says height ${tipHeight} but blocks reach ${report.height}; the data folder is damaged`,
      { details: { tip: tipHeight, blocks: report.height } },
    )
  }
  // The state rebuilt by replaying every block must be the one the node kept.
  if (ledger && report.stateRoot !== toHex(ledger.map.root))
    throw new SteleError(
      'STELE_STORAGE',
      `the state replayed from genesis (${report.stateRoot}) differs from the committed state (${toHex(ledger.map.root)}); the data folder is damaged`,
    )
  return report
}
