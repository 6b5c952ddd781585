import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { fromHex } from '../../core/bytes.ts'
import {
  decodeContractCall,
  decodeContractDeploy,
  decodeContractEntry,
  decodeContractResult,
  encodeContractCall,
  encodeContractDeploy,
  encodeContractEntry,
  encodeContractResult,
} from '../../core/contract-payloads.ts'
import { sha256 } from '../../core/hash.ts'
import vectors from '../../core/vectors/contracts.json' with { type: 'json' }
import {
  buildContractVectors,
  type ContractVectors,
  extractContractSection,
  renderContractSection,
} from './contract-vectors-lib.ts'

const V = vectors as unknown as ContractVectors
const codecs: { [id: string]: [(b: Uint8Array) => unknown, (v: never) => Uint8Array] } = {
  'contract-deploy': [decodeContractDeploy, encodeContractDeploy],
  'contract-call': [decodeContractCall, encodeContractCall],
  'contract-result-ok': [decodeContractResult, encodeContractResult],
  'contract-result-out-of-gas': [decodeContractResult, encodeContractResult],
  'contract-entry': [decodeContractEntry, encodeContractEntry],
}

describe('core/vectors/contracts.json', () => {
  it('is exactly what the code produces (regenerate: node --import tsx test/core/gen-contract-vectors.ts)', () => {
    expect(JSON.parse(JSON.stringify(buildContractVectors()))).toEqual(V)
  })

  it('each field table concatenates to its encoding, and each encoding decodes and encodes back to itself', () => {
    expect(V.encodings.map((e) => e.id).sort()).toEqual(Object.keys(codecs).sort())
    for (const e of V.encodings) {
      expect(e.fields.map(([, h]) => h).join(''), e.id).toBe(e.hex)
      const [decode, encode] = codecs[e.id]!
      const bytes = fromHex(e.hex, e.id)
      expect(Buffer.from(encode(decode(bytes) as never)).toString('hex'), e.id).toBe(e.hex)
      // One byte more or less is refused.
      expect(() => decode(bytes.subarray(0, bytes.length - 1)), e.id).toThrow()
    }
  })

  it('each hash is SHA-256 of the tag, a zero byte and the canonical text', () => {
    for (const c of V.canonical) {
      const input = Buffer.concat([Buffer.from(c.tag), Buffer.from([0]), Buffer.from(c.text)])
      expect(Buffer.from(sha256(input)).toString('hex'), c.id).toBe(c.hash)
    }
    // Keys sorted, no whitespace: the canonical form (docs/contracts.md §6).
    expect(V.canonical.find((c) => c.id === 'state')!.text).toBe(
      '{"alarm:freezer-1/temperature":{"since":1767268800000,"value":-12.5},"n":3}',
    )
  })

  it('docs/protocol.md §11.4 shows these vectors', async () => {
    const doc = await readFile(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
    expect(extractContractSection(doc)).toBe(renderContractSection(V))
  })
})
