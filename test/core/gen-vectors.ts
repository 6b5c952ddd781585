/**
 * Regenerates core/vectors/protocol.json from the fixed-key scenario and rewrites the generated vector section of
 * docs/protocol.md from that JSON. Run after a deliberate change of an encoding:
 *   node --import tsx test/core/gen-vectors.ts
 * test/core/vectors.test.ts fails while either file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { buildVectors, extractVectorSection, renderVectorSection } from './vectors-lib.ts'

const jsonUrl = new URL('../../core/vectors/protocol.json', import.meta.url)
const docUrl = new URL('../../docs/protocol.md', import.meta.url)

const vectors = buildVectors()
await writeFile(jsonUrl, `${JSON.stringify(vectors, null, 2)}\n`)

const doc = await readFile(docUrl, 'utf8')
const current = extractVectorSection(doc)
if (current === undefined) throw new Error('docs/protocol.md has no generated-vectors markers')
await writeFile(docUrl, doc.replace(current, renderVectorSection(vectors)))
console.log('wrote core/vectors/protocol.json and the vector section of docs/protocol.md')
