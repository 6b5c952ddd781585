import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { fromHex } from '../../core/bytes.ts'
import network from '../../core/vectors/network.json' with { type: 'json' }
import { decodeWireBlock } from '../../node/chain/wire-block.ts'
import { decodeEvidence, verifyEquivocation } from '../../node/consensus/equivocation.ts'
import {
  buildNetworkVectors,
  extractNetworkSection,
  type NetworkVector,
  renderNetworkSection,
} from './network-vectors-lib.ts'

const V = network as NetworkVector[]
const hex = (id: string) => fromHex(V.find((v) => v.id === id)!.hex, id)

describe('core/vectors/network.json', () => {
  it('is exactly what the code produces (regenerate: node --import tsx test/core/gen-network-vectors.ts)', () => {
    expect(buildNetworkVectors()).toEqual(V)
  })

  it('decodes: the wire block carries both transactions and the batch records; the evidence verifies', () => {
    const b = decodeWireBlock(hex('wire-block'))
    expect(b.txs.map((t) => t.records.length > 0)).toEqual([false, true])
    const e = decodeEvidence(hex('evidence'))
    expect(
      verifyEquivocation(
        e,
        [b.header.producer].map((p) => Buffer.from(p).toString('hex')),
      ).ok,
    ).toBe(true)
  })

  it('docs/protocol.md §9.9 shows these vectors', async () => {
    const doc = await readFile(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
    expect(extractNetworkSection(doc)).toBe(renderNetworkSection(V))
  })
})
