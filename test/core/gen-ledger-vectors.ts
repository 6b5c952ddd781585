/**
 * Regenerates core/vectors/ledger.json and the generated ledger vector section of docs/protocol.md (§9.8):
 *   node --import tsx test/core/gen-ledger-vectors.ts
 * test/core/ledger-vectors.test.ts fails while either is stale.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { buildLedgerVectors, extractLedgerSection, renderLedgerSection } from './ledger-vectors-lib.ts'

const jsonUrl = new URL('../../core/vectors/ledger.json', import.meta.url)
const docUrl = new URL('../../docs/protocol.md', import.meta.url)
const vectors = buildLedgerVectors()
await writeFile(jsonUrl, `${JSON.stringify(vectors, null, 2)}\n`)
const doc = await readFile(docUrl, 'utf8')
const current = extractLedgerSection(doc)
if (current === undefined) throw new Error('docs/protocol.md has no generated ledger vector markers')
await writeFile(docUrl, doc.replace(current, renderLedgerSection(vectors)))
console.log('wrote core/vectors/ledger.json and the ledger vector section of docs/protocol.md')
