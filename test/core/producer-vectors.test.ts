import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import type { ProofBundle } from '../../core/proof.ts'
import V from '../../core/vectors/producer-proofs.json' with { type: 'json' }
import { verifyProof } from '../../core/verify-proof.ts'
import {
  buildProducerVectors,
  extractProducerSection,
  type ProducerVectors,
  renderProducerSection,
} from './producer-vectors-lib.ts'

const vectors = V as ProducerVectors

describe('core/vectors/producer-proofs.json (docs/protocol.md §6.4)', () => {
  it('is exactly what the code produces (regenerate: node --import tsx test/core/gen-producer-vectors.ts)', () => {
    expect(JSON.parse(JSON.stringify(buildProducerVectors()))).toEqual(vectors)
  })

  it('each bundle verifies or fails at its named check, every earlier check passed', () => {
    for (const v of vectors.vectors) {
      const r = verifyProof(v.bundle as ProofBundle, vectors.genesis)
      const failed = r.checks.filter((c) => !c.ok)
      expect(
        failed.map((c) => c.name),
        v.id,
      ).toEqual(v.fails ? [v.fails] : [])
      expect(r.ok, v.id).toBe(v.fails === null)
    }
  })

  it('docs/protocol.md §6.4 shows these vectors', async () => {
    const doc = await readFile(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
    expect(extractProducerSection(doc)).toBe(renderProducerSection(vectors))
  })
})
