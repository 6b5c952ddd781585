/**
 * Regenerates core/vectors/contracts.json and the generated contract vector part of docs/protocol.md (§11.4):
 *   node --import tsx test/core/gen-contract-vectors.ts
 * test/core/contract-vectors.test.ts fails while either is stale.
 */
import {
  buildContractVectors,
  extractContractSection,
  renderContractSection,
} from './contract-vectors-lib.ts'
import { regenerate } from './regenerate.ts'

await regenerate({
  json: 'contracts.json',
  doc: 'protocol.md',
  vectors: buildContractVectors(),
  extract: extractContractSection,
  render: renderContractSection,
})
