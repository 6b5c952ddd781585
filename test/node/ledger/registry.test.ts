import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeAccount, ROLES } from '../../../core/account.ts'
import { fromHex, toHex } from '../../../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../../../core/ed25519.ts'
import { isSteleError } from '../../../core/errors.ts'
import type { Genesis } from '../../../core/genesis.ts'
import { sha256 } from '../../../core/hash.ts'
import {
  encodeFaucetGrant,
  encodeNodeRegistration,
  encodeTransfer,
  type Transfer,
} from '../../../core/ledger-payloads.ts'
import { STATE_NS, stateKey } from '../../../core/state-map.ts'
import { type SignedTx, signTx, TX_TYPES } from '../../../core/transaction.ts'
import { genesisChanges } from '../../../node/ledger/genesis-state.ts'
import { applyChanges, LedgerState, mapReader } from '../../../node/ledger/ledger-state.ts'
import { applyTx, TX_RULES, txStateKeys, validateTx } from '../../../node/ledger/registry.ts'

const key = (name: string): KeyPair => keyPairFromSeed(sha256(Buffer.from(`stele-ledger-test:${name}`)))
const K = {
  authority: key('authority'),
  faucet: key('faucet'),
  producer: key('producer'),
  alice: key('alice'),
  bob: key('bob'),
  carol: key('carol'),
}
const SUPPLY = 1_000_000_000n
const GENESIS: Genesis = {
  chainId: 'stele-ledger-test',
  time: 1_700_000_000_000,
  producers: [K.producer.publicKey],
  authority: K.authority.publicKey,
  ledger: {
    symbol: 'STL',
    decimals: 6,
    faucet: K.faucet.publicKey,
    faucetGrant: 1_000_000n,
    allocations: [
      { account: K.faucet.publicKey, amount: SUPPLY - 500_000n },
      { account: K.alice.publicKey, amount: 500_000n },
    ].sort((a, b) => Buffer.compare(a.account, b.account)),
    minFees: [{ type: TX_TYPES.TRANSFER, fee: 10n }],
  },
}

/** A chain's committed state as an in-memory map, and a LedgerState over it per block. */
function chain(genesis: Genesis = GENESIS) {
  const committed = new Map<string, Uint8Array>()
  applyChanges(committed, genesisChanges(genesis))
  return {
    committed,
    state: () => new LedgerState(mapReader(committed)),
    balance: (pub: Uint8Array) => {
      const v = committed.get(toHex(stateKey(STATE_NS.ACCOUNT, pub)))
      return v ? decodeAccount(v).balance : 0n
    },
    /** Validates, applies and commits one transaction as a block of one. */
    run(tx: SignedTx) {
      const s = this.state()
      validateTx(tx, s, genesis)
      const keys = applyTx(tx, s, { genesis, producer: K.producer.publicKey })
      applyChanges(committed, s.changes())
      return keys
    },
  }
}

function transferTx(
  from: KeyPair,
  nonce: number,
  p: Partial<Transfer> = {},
  over: Partial<SignedTx> = {},
): SignedTx {
  const payload = encodeTransfer({ fee: 10n, to: K.bob.publicKey, amount: 100n, memo: '', ...p })
  return signTx(
    { type: TX_TYPES.TRANSFER, chainId: GENESIS.chainId, signer: from.publicKey, nonce, payload, ...over },
    from.secretKey,
  )
}

function refusedWith(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (isSteleError(e)) return e.code
    throw e
  }
  return 'accepted'
}

describe('validateTx: every refusal has its code', () => {
  const c = chain()
  c.run(transferTx(K.alice, 0)) // alice's next nonce is now 1
  const grant = (signer: KeyPair, amount: bigint, nonce = 0) =>
    signTx(
      {
        type: TX_TYPES.FAUCET_GRANT,
        chainId: GENESIS.chainId,
        signer: signer.publicKey,
        nonce,
        payload: encodeFaucetGrant({ fee: 0n, to: K.carol.publicKey, amount }),
      },
      signer.secretKey,
    )
  const nodeReg = (signer: KeyPair) =>
    signTx(
      {
        type: TX_TYPES.NODE_REGISTER,
        chainId: GENESIS.chainId,
        signer: signer.publicKey,
        nonce: 0,
        payload: encodeNodeRegistration({
          fee: 0n,
          node: K.carol.publicKey,
          roles: ROLES.PRODUCER | ROLES.EXECUTOR,
          endpoints: ['http://carol.example:7070', '/ip4/10.0.0.3/tcp/4001'],
        }),
      },
      signer.secretKey,
    )
  const badSig = (() => {
    const t = transferTx(K.alice, 1)
    const signature = new Uint8Array(t.signature)
    signature[0]! ^= 1
    return { ...t, signature }
  })()
  const longMemo = (() => {
    const t = transferTx(K.alice, 1, { memo: 'x'.repeat(64) })
    const payload = new Uint8Array([...t.payload.subarray(0, 48), 65, ...Buffer.from('x'.repeat(65))])
    return signTx({ ...t, payload }, K.alice.secretKey)
  })()

  const table: [string, SignedTx, string][] = [
    ['a valid transfer', transferTx(K.alice, 1), 'accepted'],
    ['a replay (nonce already used)', transferTx(K.alice, 0), 'STELE_NONCE_TOO_LOW'],
    ['a nonce gap', transferTx(K.alice, 2), 'STELE_NONCE_GAP'],
    ['another chain', transferTx(K.alice, 1, {}, { chainId: 'other' }), 'STELE_CHAIN_MISMATCH'],
    ['a bad signature', badSig, 'STELE_BAD_SIGNATURE'],
    ['a fee below the minimum', transferTx(K.alice, 1, { fee: 9n }), 'STELE_FEE_TOO_LOW'],
    ['amount zero', transferTx(K.alice, 1, { amount: 0n }), 'STELE_BAD_AMOUNT'],
    ['amount over the supply', transferTx(K.alice, 1, { amount: SUPPLY + 1n }), 'STELE_BAD_AMOUNT'],
    ['more than the balance', transferTx(K.alice, 1, { amount: 499_900n }), 'STELE_INSUFFICIENT_BALANCE'],
    ['exactly the balance', transferTx(K.alice, 1, { amount: 499_890n - 10n }), 'accepted'],
    [
      'an empty account',
      transferTx(K.carol, 0, { amount: 1n, to: K.alice.publicKey }),
      'STELE_INSUFFICIENT_BALANCE',
    ],
    ['a memo over 64 bytes', longMemo, 'STELE_MEMO_TOO_LONG'],
    ['a memo of 64 bytes', transferTx(K.alice, 1, { memo: 'é'.repeat(32) }), 'accepted'],
    ['an unknown type', transferTx(K.alice, 1, {}, { type: 99 }), 'STELE_UNKNOWN_TX_TYPE'],
    [
      'a drive-create carrying a transfer payload',
      transferTx(K.alice, 1, {}, { type: TX_TYPES.DRIVE_CREATE }),
      'STELE_BAD_ENCODING',
    ],
    [
      'a record batch (its own path)',
      transferTx(K.alice, 1, {}, { type: TX_TYPES.RECORD_BATCH }),
      'STELE_TX_INVALID',
    ],
    [
      'a malformed payload',
      transferTx(K.alice, 1, {}, { payload: Uint8Array.of(1, 2) }),
      'STELE_BAD_ENCODING',
    ],
    ['a faucet grant by the faucet', grant(K.faucet, 1_000_000n), 'accepted'],
    ['a faucet grant over the grant', grant(K.faucet, 1_000_001n), 'STELE_BAD_AMOUNT'],
    ['a faucet grant by another account', grant(K.alice, 1n, 1), 'STELE_NOT_AUTHORIZED'],
    ['a node registration by the authority', nodeReg(K.authority), 'accepted'],
    ['a node registration by another key', nodeReg(K.faucet), 'STELE_NOT_AUTHORIZED'],
  ]
  for (const [what, tx, code] of table)
    it(`${what}: ${code}`, () => {
      expect(refusedWith(() => validateTx(tx, c.state(), GENESIS))).toBe(code)
    })

  it('the codes are those documented for these refusals', () => {
    const codes = new Set(table.map(([, , code]) => code))
    for (const c of [
      'STELE_NONCE_TOO_LOW',
      'STELE_NONCE_GAP',
      'STELE_INSUFFICIENT_BALANCE',
      'STELE_FEE_TOO_LOW',
    ])
      expect(codes.has(c)).toBe(true)
  })

  it('a version 1 genesis has no supply and no faucet: ledger transfers and grants are refused', () => {
    const { ledger: _l, ...v1 } = GENESIS
    const c1 = chain(v1)
    expect(refusedWith(() => validateTx(transferTx(K.alice, 0), c1.state(), v1))).toBe('STELE_BAD_AMOUNT')
    expect(refusedWith(() => validateTx(grant(K.faucet, 1n), c1.state(), v1))).toBe('STELE_NOT_AUTHORIZED')
  })
})

describe('applyTx', () => {
  it('moves the amount, bumps the nonce, pays the fee to the producer, and names the keys it wrote', () => {
    const c = chain()
    const keys = c.run(transferTx(K.alice, 0, { amount: 1_000n, fee: 25n, memo: 'rent' }))
    expect(c.balance(K.alice.publicKey)).toBe(500_000n - 1_025n)
    expect(c.balance(K.bob.publicKey)).toBe(1_000n)
    expect(c.balance(K.producer.publicKey)).toBe(25n)
    expect(new Set(keys)).toEqual(
      new Set([K.alice, K.bob, K.producer].map((k) => toHex(stateKey(STATE_NS.ACCOUNT, k.publicKey)))),
    )
    const alice = decodeAccount(c.committed.get(toHex(stateKey(STATE_NS.ACCOUNT, K.alice.publicKey)))!)
    expect(alice.nonce).toBe(1)
    const tx = transferTx(K.alice, 0)
    expect(txStateKeys(tx, K.producer.publicKey).map(toHex)).toEqual(
      [K.alice, K.producer, K.bob].map((k) => toHex(stateKey(STATE_NS.ACCOUNT, k.publicKey))),
    )
  })

  it('node-register writes the node entry and the roles of its account; roles 0 removes the entry', () => {
    const c = chain()
    const reg = (roles: number, nonce: number) =>
      signTx(
        {
          type: TX_TYPES.NODE_REGISTER,
          chainId: GENESIS.chainId,
          signer: K.authority.publicKey,
          nonce,
          payload: encodeNodeRegistration({
            fee: 0n,
            node: K.carol.publicKey,
            roles,
            endpoints: ['/dns4/c/tcp/1'],
          }),
        },
        K.authority.secretKey,
      )
    c.run(reg(ROLES.REPLICATOR, 0))
    expect(c.state().node(K.carol.publicKey)?.roles).toBe(ROLES.REPLICATOR)
    expect(c.state().account(K.carol.publicKey).roles).toBe(ROLES.REPLICATOR)
    c.run(reg(0, 1))
    expect(c.state().node(K.carol.publicKey)).toBeUndefined()
    expect(c.committed.has(toHex(stateKey(STATE_NS.ACCOUNT, K.carol.publicKey)))).toBe(false)
  })

  it('the registry lists the fast-path types beside the ledger types', () => {
    // Other layers (contracts, consensus evidence) add their own entries; these must be among them.
    expect([...TX_RULES.values()].map((r) => `${r.type}:${r.name}:${r.kind}`)).toEqual(
      expect.arrayContaining([
        '1:record-batch:fast-path',
        '2:gateway-register:fast-path',
        '4:transfer:ledger',
        '5:faucet-grant:ledger',
        '6:node-register:ledger',
        '7:drive-create:ledger',
        '8:drive-put:ledger',
        '9:drive-remove:ledger',
        '10:drive-close:ledger',
        '11:storage-proof:ledger',
      ]),
    )
  })
})

describe('properties', () => {
  const people = [K.faucet, K.alice, K.bob, K.carol, K.producer]
  const step = fc.record({
    from: fc.integer({ min: 0, max: people.length - 1 }),
    to: fc.integer({ min: 0, max: people.length - 1 }),
    amount: fc.oneof(fc.bigInt({ min: 0n, max: 2_000_000n }), fc.constant(SUPPLY)),
    fee: fc.bigInt({ min: 0n, max: 50n }),
    nonceSkew: fc.constantFrom(0, 0, 0, -1, 1),
    grant: fc.boolean(),
  })

  it('total supply (balances, fees included) is conserved, and every accepted transaction is refused as a replay', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const c = chain()
        const accepted: SignedTx[] = []
        for (const s of steps) {
          const from = people[s.from]!
          const nonce = Math.max(0, c.state().account(from.publicKey).nonce + s.nonceSkew)
          const tx = s.grant
            ? signTx(
                {
                  type: TX_TYPES.FAUCET_GRANT,
                  chainId: GENESIS.chainId,
                  signer: from.publicKey,
                  nonce,
                  payload: encodeFaucetGrant({ fee: s.fee, to: people[s.to]!.publicKey, amount: s.amount }),
                },
                from.secretKey,
              )
            : transferTx(from, nonce, { to: people[s.to]!.publicKey, amount: s.amount, fee: s.fee })
          if (refusedWith(() => c.run(tx)) === 'accepted') accepted.push(tx)
          const total = people.reduce((sum, p) => sum + c.balance(p.publicKey), 0n)
          expect(total).toBe(SUPPLY)
        }
        for (const tx of accepted) {
          const code = refusedWith(() => validateTx(tx, c.state(), GENESIS))
          expect(code).toBe('STELE_NONCE_TOO_LOW')
        }
      }),
      { seed: 0x1ed6e2, numRuns: 150 },
    )
  })
})

// A fixed vector for the hand-computed key derivation: account namespace 1 over the RFC 8032 TEST 1 key.
it('stateKey is sha256(namespace ‖ id)', () => {
  const pub = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
  expect(toHex(stateKey(STATE_NS.ACCOUNT, pub))).toBe(toHex(sha256(new Uint8Array([1, ...pub]))))
})
