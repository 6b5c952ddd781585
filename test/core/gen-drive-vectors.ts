/**
 * Regenerates core/vectors/drives.json and the generated drive vector section of docs/protocol.md (§10.5):
 *   node --import tsx test/core/gen-drive-vectors.ts
 * test/core/drive-vectors.test.ts fails while either is stale.
 */
import { buildDriveVectors, extractDriveSection, renderDriveSection } from './drive-vectors-lib.ts'
import { regenerate } from './regenerate.ts'

await regenerate({
  json: 'drives.json',
  doc: 'protocol.md',
  vectors: buildDriveVectors(),
  extract: extractDriveSection,
  render: renderDriveSection,
})
