/**
 * Regenerates core/vectors/contracts.json and the generated contract vector part of docs/protocol.md (§11.4):
 *   node --import tsx test/core/gen-contract-vectors.ts
 * test/core/contract-vectors.test.ts fails while either is stale.
 */
import { readFile, writeFile } from 'node:fs/promises'
import {
  buildContractVectors,
  extractContractSection,
  renderContractSection,
} from './contract-vectors-lib.ts'

const jsonUrl = new URL('../../core/vectors/contracts.json', import.meta.url)
const docUrl = new URL('../../docs/protocol.md', import.meta.url)
const vectors = buildContractVectors()
await writeFile(jsonUrl, `${JSON.stringify(vectors, null, 2)}\n`)
const doc = await readFile(docUrl, 'utf8')
const current = extractContractSection(doc)
if (current === undefined) throw new Error('docs/protocol.md has no generated contract vector markers')
await writeFile(docUrl, doc.replace(current, renderContractSection(vectors)))
console.log('wrote core/vectors/contracts.json and the contract vector part of docs/protocol.md')
