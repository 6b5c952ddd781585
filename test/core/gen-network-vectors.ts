// Regenerates core/vectors/network.json and its section of docs/protocol.md: node --import tsx test/core/gen-network-vectors.ts
import { buildNetworkVectors, extractNetworkSection, renderNetworkSection } from './network-vectors-lib.ts'
import { regenerate } from './regenerate.ts'

await regenerate({
  json: 'network.json',
  doc: 'protocol.md',
  vectors: buildNetworkVectors(),
  extract: extractNetworkSection,
  render: renderNetworkSection,
})
