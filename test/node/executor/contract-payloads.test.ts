import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeContractCall,
  decodeContractDeploy,
  decodeContractEntry,
  decodeContractResult,
  encodeContractCall,
  encodeContractDeploy,
  encodeContractEntry,
  encodeContractResult,
  RESULT_STATUSES,
} from '../../../core/contract-payloads.ts'

const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const id = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,15}$/)
const cid = fc.stringMatching(/^b[a-z2-7]{58}$/)
const fee = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
const gas = fc.integer({ min: 1, max: 100_000_000 })
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v))
const filter = fc.record({
  devices: fc.uniqueArray(id, { maxLength: 4 }),
  sensors: fc.uniqueArray(id, { maxLength: 4 }),
  gateways: fc.array(b32, { maxLength: 3 }),
})
const name = fc.string({ minLength: 1, maxLength: 20 })
const OPTS = { seed: 14, numRuns: 200 }

describe('contract payload codecs', () => {
  it('round-trip deploy, call, result and the contract leaf', () => {
    fc.assert(
      fc.property(fee, name, cid, gas, filter, (f, n, c, g, flt) => {
        const p = { fee: f, name: n, codeCid: c, gasLimit: g, filter: flt }
        expect(decodeContractDeploy(encodeContractDeploy(p))).toEqual(p)
      }),
      OPTS,
    )
    fc.assert(
      fc.property(fee, b32, json, gas, (f, contract, args, g) => {
        const p = { fee: f, contract, fn: 'bump', args, gas: g }
        expect(decodeContractCall(encodeContractCall(p))).toEqual(p)
      }),
      OPTS,
    )
    fc.assert(
      fc.property(
        fc.record({
          fee,
          contract: b32,
          height: fc.integer({ min: 1, max: 2 ** 40 }),
          blockHash: b32,
          call: b32,
          inputsHash: b32,
          stateRootBefore: b32,
          stateRootAfter: b32,
          eventsHash: b32,
          gasUsed: fc.integer({ min: 0, max: 2 ** 40 }),
          status: fc.constantFrom(...RESULT_STATUSES),
          message: fc.string({ maxLength: 100 }),
          events: json,
          state: json,
        }),
        (p) => {
          expect(decodeContractResult(encodeContractResult(p))).toEqual(p)
        },
      ),
      OPTS,
    )
    fc.assert(
      fc.property(b32, name, cid, gas, filter, b32, json, (owner, n, c, g, flt, root, state) => {
        const e = {
          owner,
          name: n,
          codeCid: c,
          gasLimit: g,
          filter: flt,
          lastHeight: 3,
          results: 2,
          stateRoot: root,
          state,
          calls: [{ hash: root, caller: owner, fn: 'f', args: '[1]', gas: g }],
        }
        expect(decodeContractEntry(encodeContractEntry(e))).toEqual(e)
      }),
      OPTS,
    )
  })

  it('refuses every truncation and trailing byte of a result', () => {
    const p = encodeContractResult({
      fee: 0n,
      contract: new Uint8Array(32),
      height: 1,
      blockHash: new Uint8Array(32),
      call: new Uint8Array(32),
      inputsHash: new Uint8Array(32),
      stateRootBefore: new Uint8Array(32),
      stateRootAfter: new Uint8Array(32),
      eventsHash: new Uint8Array(32),
      gasUsed: 5,
      status: 'ok',
      message: '',
      events: '[]',
      state: '{}',
    })
    for (let n = 0; n < p.length; n++)
      expect(() => decodeContractResult(p.subarray(0, n))).toThrow(
        expect.objectContaining({ code: 'STELE_BAD_ENCODING' }),
      )
    expect(() => decodeContractResult(new Uint8Array([...p, 0]))).toThrow(
      expect.objectContaining({ code: 'STELE_BAD_ENCODING' }),
    )
  })

  it('refuses bad fields with named errors', () => {
    const base = {
      fee: 0n,
      name: 'x',
      codeCid: `b${'a'.repeat(58)}`,
      gasLimit: 1,
      filter: { devices: [], sensors: [], gateways: [] },
    }
    expect(() => encodeContractDeploy({ ...base, gasLimit: 0 })).toThrow(/gasLimit/)
    expect(() => encodeContractDeploy({ ...base, codeCid: 'Qm123' })).toThrow(/codeCid/)
    expect(() => encodeContractDeploy({ ...base, filter: { ...base.filter, devices: ['bad id!'] } })).toThrow(
      /filter.devices/,
    )
    expect(() =>
      encodeContractCall({ fee: 0n, contract: new Uint8Array(32), fn: 'x', args: '{', gas: 1 }),
    ).toThrow(/args is not JSON/)
  })
})
