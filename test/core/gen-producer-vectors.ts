// Regenerates core/vectors/producer-proofs.json and its section of docs/protocol.md: node --import tsx test/core/gen-producer-vectors.ts
import {
  buildProducerVectors,
  extractProducerSection,
  renderProducerSection,
} from './producer-vectors-lib.ts'
import { regenerate } from './regenerate.ts'

await regenerate({
  json: 'producer-proofs.json',
  doc: 'protocol.md',
  vectors: buildProducerVectors(),
  extract: extractProducerSection,
  render: renderProducerSection,
})
