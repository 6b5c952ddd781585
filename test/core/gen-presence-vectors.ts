/**
 * Regenerates core/vectors/presence.json and the generated section of docs/presence.md (§9):
 *   node --import tsx test/core/gen-presence-vectors.ts
 * test/core/presence-vectors.test.ts fails while either is stale.
 */
import {
  buildPresenceVectors,
  extractPresenceSection,
  renderPresenceSection,
} from './presence-vectors-lib.ts'
import { regenerate } from './regenerate.ts'

await regenerate({
  json: 'presence.json',
  doc: 'presence.md',
  vectors: buildPresenceVectors(),
  extract: extractPresenceSection,
  render: renderPresenceSection,
})
