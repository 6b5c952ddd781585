/**
 * Regenerates core/vectors/protocol.json from the fixed-key scenario and rewrites the generated vector section of
 * docs/protocol.md from that JSON. Run after a deliberate change of an encoding:
 *   node --import tsx test/core/gen-vectors.ts
 * test/core/vectors.test.ts fails while either file is stale.
 */

import { regenerate } from './regenerate.ts'
import { buildVectors, extractVectorSection, renderVectorSection } from './vectors-lib.ts'

await regenerate({
  json: 'protocol.json',
  doc: 'protocol.md',
  vectors: buildVectors(),
  extract: extractVectorSection,
  render: renderVectorSection,
})
