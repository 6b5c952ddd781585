/**
 * Regenerates core/vectors/ledger.json and the generated ledger vector section of docs/protocol.md (§9.8):
 *   node --import tsx test/core/gen-ledger-vectors.ts
 * test/core/ledger-vectors.test.ts fails while either is stale.
 */
import { buildLedgerVectors, extractLedgerSection, renderLedgerSection } from './ledger-vectors-lib.ts'
import { regenerate } from './regenerate.ts'

await regenerate({
  json: 'ledger.json',
  doc: 'protocol.md',
  vectors: buildLedgerVectors(),
  extract: extractLedgerSection,
  render: renderLedgerSection,
})
