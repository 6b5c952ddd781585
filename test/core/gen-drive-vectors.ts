/**
 * Regenerates core/vectors/drives.json and the generated drive vector section of docs/protocol.md (§10.5):
 *   node --import tsx test/core/gen-drive-vectors.ts
 * test/core/drive-vectors.test.ts fails while either is stale.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { buildDriveVectors, extractDriveSection, renderDriveSection } from './drive-vectors-lib.ts'

const jsonUrl = new URL('../../core/vectors/drives.json', import.meta.url)
const docUrl = new URL('../../docs/protocol.md', import.meta.url)
const vectors = buildDriveVectors()
await writeFile(jsonUrl, `${JSON.stringify(vectors, null, 2)}\n`)
const doc = await readFile(docUrl, 'utf8')
const current = extractDriveSection(doc)
if (current === undefined) throw new Error('docs/protocol.md has no generated drive vector markers')
await writeFile(docUrl, doc.replace(current, renderDriveSection(vectors)))
console.log('wrote core/vectors/drives.json and the drive vector section of docs/protocol.md')
