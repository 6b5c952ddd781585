// Regenerates core/vectors/network.json and its section of docs/protocol.md: node --import tsx test/core/gen-network-vectors.ts
import { readFile, writeFile } from 'node:fs/promises'
import { buildNetworkVectors, extractNetworkSection, renderNetworkSection } from './network-vectors-lib.ts'

const vectors = buildNetworkVectors()
await writeFile(
  new URL('../../core/vectors/network.json', import.meta.url),
  `${JSON.stringify(vectors, null, 2)}\n`,
)
const docUrl = new URL('../../docs/protocol.md', import.meta.url)
const doc = await readFile(docUrl, 'utf8')
const old = extractNetworkSection(doc)
if (old) await writeFile(docUrl, doc.replace(old, renderNetworkSection(vectors)))
else console.error('docs/protocol.md has no network vectors section markers; add them, then run again')
