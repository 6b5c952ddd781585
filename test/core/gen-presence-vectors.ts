/**
 * Regenerates core/vectors/presence.json and the generated section of docs/presence.md (§9):
 *   node --import tsx test/core/gen-presence-vectors.ts
 * test/core/presence-vectors.test.ts fails while either is stale.
 */
import { readFile, writeFile } from 'node:fs/promises'
import {
  buildPresenceVectors,
  extractPresenceSection,
  renderPresenceSection,
} from './presence-vectors-lib.ts'

const jsonUrl = new URL('../../core/vectors/presence.json', import.meta.url)
const docUrl = new URL('../../docs/presence.md', import.meta.url)
const vectors = buildPresenceVectors()
await writeFile(jsonUrl, `${JSON.stringify(vectors, null, 2)}\n`)
const doc = await readFile(docUrl, 'utf8')
const current = extractPresenceSection(doc)
if (current === undefined) throw new Error('docs/presence.md has no generated presence vector markers')
await writeFile(docUrl, doc.replace(current, renderPresenceSection(vectors)))
console.log('wrote core/vectors/presence.json and the vector section of docs/presence.md')
