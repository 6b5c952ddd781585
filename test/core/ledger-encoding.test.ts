import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeAccount, encodeAccount } from '../../core/account.ts'
import { MAX_AMOUNT, parseAmount } from '../../core/amount.ts'
import {
  decodeBlockHeader,
  encodeBlockHeader,
  signBlockHeader,
  verifyBlockSignature,
} from '../../core/block.ts'
import { concatBytes, toHex, utf8 } from '../../core/bytes.ts'
import { isSteleError } from '../../core/errors.ts'
import {
  encodeGenesis,
  type Genesis,
  genesisFromJson,
  genesisHash,
  genesisToJson,
} from '../../core/genesis.ts'
import {
  decodeFaucetGrant,
  decodeNodeRegistration,
  decodeTransfer,
  encodeFaucetGrant,
  encodeNodeRegistration,
  encodeTransfer,
  MAX_MEMO_BYTES,
} from '../../core/ledger-payloads.ts'
import { decodeStateProof, encodeStateProof } from '../../core/state-map.ts'
import * as A from './arbitraries.ts'
import { buildScenario } from './fixtures.ts'

const S = buildScenario()
const amount = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 53n, MAX_AMOUNT),
  fc.bigInt({ min: 0n, max: MAX_AMOUNT }),
)
const memo = A.text(MAX_MEMO_BYTES)
const endpoint = fc.oneof(
  fc.webUrl().filter((u) => u.length <= 128 && /^[\x21-\x7e]+$/.test(u)),
  fc.ipV4().map((ip) => `/ip4/${ip}/tcp/4001`),
)
const transfer = fc.record({ fee: amount, to: A.bytes32, amount, memo })
const grant = fc.record({ fee: amount, to: A.bytes32, amount })
const nodeReg = fc.record({
  fee: amount,
  node: A.bytes32,
  roles: fc.integer({ min: 0, max: 7 }),
  endpoints: fc.uniqueArray(endpoint, { maxLength: 8 }),
})
const account = fc.record({ balance: amount, nonce: A.u64, roles: fc.integer({ min: 0, max: 7 }) })
const proof = fc.record(
  {
    leaf: fc.record({ key: A.bytes32, valueHash: A.bytes32 }),
    siblings: fc.array(A.bytes32, { maxLength: 40 }),
  },
  { requiredKeys: ['siblings'] },
)

/** True when decoded; false when refused with a coded error; anything else is a bug. */
function decodesOrRefuses(fn: () => unknown): boolean {
  try {
    fn()
    return true
  } catch (e) {
    if (isSteleError(e, 'STELE_BAD_ENCODING') || isSteleError(e, 'STELE_MEMO_TOO_LONG')) return false
    throw e
  }
}

function refuses(fn: () => unknown, code: string, message: RegExp): void {
  let thrown: unknown
  try {
    fn()
  } catch (e) {
    thrown = e
  }
  expect(isSteleError(thrown), `expected a SteleError, got ${String(thrown)}`).toBe(true)
  expect((thrown as { code: string }).code).toBe(code)
  expect((thrown as Error).message).toMatch(message)
}

const CODECS = [
  { name: 'transfer', arb: transfer, enc: encodeTransfer, dec: decodeTransfer },
  { name: 'faucet grant', arb: grant, enc: encodeFaucetGrant, dec: decodeFaucetGrant },
  { name: 'node registration', arb: nodeReg, enc: encodeNodeRegistration, dec: decodeNodeRegistration },
  { name: 'account', arb: account, enc: encodeAccount, dec: decodeAccount },
  { name: 'state proof', arb: proof, enc: encodeStateProof, dec: decodeStateProof },
] as const

describe('ledger codecs', () => {
  for (const c of CODECS) {
    it(`${c.name}: round-trips byte for byte`, () => {
      fc.assert(
        fc.property(c.arb as fc.Arbitrary<never>, (v) => {
          const b = (c.enc as (x: unknown) => Uint8Array)(v)
          const d = (c.dec as (x: Uint8Array) => unknown)(b)
          expect(d).toEqual(v)
          expect(toHex((c.enc as (x: unknown) => Uint8Array)(d))).toBe(toHex(b))
        }),
        A.PROPS,
      )
    })
    it(`${c.name}: arbitrary bytes decode canonically or are refused with a coded error`, () => {
      const enc = c.enc as (x: unknown) => Uint8Array
      const dec = c.dec as (x: Uint8Array) => unknown
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
          if (decodesOrRefuses(() => dec(b))) expect(toHex(enc(dec(b)))).toBe(toHex(b))
        }),
        A.FUZZ,
      )
      // Mutations of valid encodings: truncations, trailing bytes and flipped bytes.
      fc.assert(
        fc.property(c.arb as fc.Arbitrary<never>, fc.nat(), fc.integer({ min: 1, max: 255 }), (v, at, x) => {
          const b = enc(v)
          expect(decodesOrRefuses(() => dec(b.subarray(0, b.length - 1)))).toBe(false)
          expect(decodesOrRefuses(() => dec(concatBytes(b, Uint8Array.of(0))))).toBe(false)
          const m = new Uint8Array(b)
          m[at % m.length]! ^= x
          if (decodesOrRefuses(() => dec(m))) expect(toHex(enc(dec(m)))).toBe(toHex(m))
        }),
        { seed: 0x1ed9e, numRuns: 300 },
      )
    })
  }

  it('names the field that is wrong', () => {
    const t = encodeTransfer({ fee: 0n, to: new Uint8Array(32), amount: 5n, memo: 'hi' })
    refuses(() => decodeTransfer(t.subarray(0, 20)), 'STELE_BAD_ENCODING', /transfer: truncated at to/)
    refuses(() => decodeTransfer(concatBytes(t, Uint8Array.of(1))), 'STELE_BAD_ENCODING', /1 trailing bytes/)
    const long = concatBytes(t.subarray(0, 48), Uint8Array.of(65), utf8('x'.repeat(65)))
    refuses(() => decodeTransfer(long), 'STELE_MEMO_TOO_LONG', /memo is 65 bytes/)
    refuses(
      () => encodeTransfer({ fee: 0n, to: new Uint8Array(32), amount: 1n, memo: 'é'.repeat(33) }),
      'STELE_MEMO_TOO_LONG',
      /memo/,
    )
    refuses(
      () => encodeTransfer({ fee: -1n, to: new Uint8Array(32), amount: 1n, memo: '' }),
      'STELE_BAD_ENCODING',
      /fee/,
    )
    refuses(
      () => encodeFaucetGrant({ fee: 0n, to: new Uint8Array(32), amount: MAX_AMOUNT + 1n }),
      'STELE_BAD_ENCODING',
      /amount/,
    )
    const reg = { fee: 0n, node: new Uint8Array(32), roles: 1, endpoints: ['http://a:1'] }
    refuses(() => encodeNodeRegistration({ ...reg, roles: 8 }), 'STELE_BAD_ENCODING', /roles/)
    refuses(
      () => encodeNodeRegistration({ ...reg, endpoints: ['not a url'] }),
      'STELE_BAD_ENCODING',
      /endpoints\[0\]/,
    )
    refuses(
      () => encodeNodeRegistration({ ...reg, endpoints: ['/ip4/1.2.3.4', '/ip4/1.2.3.4'] }),
      'STELE_BAD_ENCODING',
      /duplicate/,
    )
    refuses(
      () => encodeNodeRegistration({ ...reg, endpoints: Array.from({ length: 9 }, (_, i) => `/p/${i}`) }),
      'STELE_BAD_ENCODING',
      /more than 8/,
    )
    refuses(() => decodeAccount(Uint8Array.of(2, ...new Uint8Array(17))), 'STELE_BAD_ENCODING', /version 2/)
  })

  it('amounts in JSON are decimal strings, nothing else', () => {
    expect(parseAmount('18446744073709551615', 'a')).toBe(MAX_AMOUNT)
    for (const bad of ['18446744073709551616', '-1', '01', '1e3', '', ' 1', 1, null])
      refuses(() => parseAmount(bad, 'a'), 'STELE_BAD_ENCODING', /a: /)
  })
})

const LEDGER_GENESIS: Genesis = {
  ...S.genesis,
  ledger: {
    symbol: 'STL',
    decimals: 6,
    faucet: S.keys.gateway.publicKey,
    faucetGrant: 1_000_000_000n,
    allocations: [
      { account: S.keys.producer.publicKey, amount: 5n },
      { account: S.keys.gateway.publicKey, amount: 10n ** 18n },
    ].sort((a, b) => Buffer.compare(a.account, b.account)),
    minFees: [{ type: 4, fee: 10n }],
  },
}

describe('genesis version 2', () => {
  it('a version 1 genesis keeps its bytes and hash; version 2 appends the ledger fields', () => {
    const v1 = encodeGenesis(S.genesis)
    const v2 = encodeGenesis(LEDGER_GENESIS)
    expect(v1[0]).toBe(1)
    expect(v2[0]).toBe(2)
    expect(toHex(v2.subarray(1, v1.length))).toBe(toHex(v1.subarray(1)))
    expect(toHex(genesisHash(S.genesis))).toBe(toHex(genesisHash(genesisFromJson(genesisToJson(S.genesis)))))
  })
  it('round-trips through JSON with its hash, and refuses a changed field', () => {
    const j = genesisToJson(LEDGER_GENESIS)
    expect(j.ledger?.minFees).toEqual({ transfer: '10' })
    const back = genesisFromJson(JSON.parse(JSON.stringify(j)))
    expect(back).toEqual(LEDGER_GENESIS)
    expect(toHex(genesisHash(back))).toBe(j.hash)
    const changed = JSON.parse(JSON.stringify(j))
    changed.ledger.faucetGrant = '1'
    refuses(() => genesisFromJson(changed), 'STELE_BAD_ENCODING', /hash does not match/)
  })
  it('refuses a bad ledger', () => {
    const j = () => {
      const { hash: _h, ...rest } = genesisToJson(LEDGER_GENESIS)
      return JSON.parse(JSON.stringify(rest))
    }
    const cases: [(x: ReturnType<typeof j>) => void, RegExp][] = [
      [(x) => (x.ledger.symbol = 'stl'), /symbol/],
      [(x) => (x.ledger.decimals = 19), /decimals/],
      [(x) => (x.ledger.faucet = 'ab'), /faucet/],
      [(x) => (x.ledger.allocations[0].amount = '18446744073709551615'), /sum to more/],
      [(x) => x.ledger.allocations.push({ ...x.ledger.allocations[0] }), /ascending/],
      [(x) => (x.ledger.minFees = { teleport: '1' }), /unknown transaction type/],
      [(x) => (x.ledger.faucetGrant = 5), /faucetGrant/],
    ]
    for (const [mutate, message] of cases) {
      const x = j()
      mutate(x)
      refuses(() => genesisFromJson(x), 'STELE_BAD_ENCODING', message)
    }
  })
})

describe('block header version 2', () => {
  const v1 = decodeBlockHeader(S.block.header)
  const v2 = { ...v1, stateRoot: new Uint8Array(32).fill(7) }
  it('v1 headers are unchanged; v2 puts stateRoot after txRoot and round-trips', () => {
    expect(toHex(encodeBlockHeader(v1))).toBe(toHex(S.block.header))
    expect(v1.stateRoot).toBeUndefined()
    const b = encodeBlockHeader(v2)
    expect(b[0]).toBe(2)
    expect(b.length).toBe(S.block.header.length + 32)
    const at = S.block.header.length - 36 // txCount (4) and producer (32) follow txRoot in v1
    expect(toHex(b.subarray(at, at + 32))).toBe('07'.repeat(32))
    expect(decodeBlockHeader(b)).toEqual(v2)
  })
  it('the signature covers the v2 encoding, stateRoot included', () => {
    const signed = signBlockHeader(v2, S.keys.producer.secretKey)
    expect(verifyBlockSignature(signed.header, signed.signature, v2.producer)).toBe(true)
    const tampered = new Uint8Array(signed.header)
    tampered[tampered.length - 40]! ^= 1 // a byte of stateRoot
    expect(verifyBlockSignature(tampered, signed.signature, v2.producer)).toBe(false)
  })
  it('refuses a truncated v2 header, version 3, and a short stateRoot', () => {
    const b = encodeBlockHeader(v2)
    refuses(
      () => decodeBlockHeader(b.subarray(0, b.length - 1)),
      'STELE_BAD_ENCODING',
      /truncated at producer/,
    )
    const v3 = new Uint8Array(b)
    v3[0] = 3
    refuses(() => decodeBlockHeader(v3), 'STELE_BAD_ENCODING', /unsupported version 3/)
    refuses(
      () => encodeBlockHeader({ ...v1, stateRoot: new Uint8Array(31) }),
      'STELE_BAD_ENCODING',
      /stateRoot/,
    )
  })
})
