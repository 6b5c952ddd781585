/**
 * The producer set changes with node-register transactions: genesis producers plus nodes registered with the producer
 * role before a block. Pure rules (producersAfter), the chain index across a registration height (turns, weights,
 * recents, finality count) and header checks of a branch whose own block registers a producer.
 */
import { describe, expect, it } from 'vitest'
import { ROLES } from '../../../core/account.ts'
import type { SignedBlockHeader } from '../../../core/block.ts'
import { toHex } from '../../../core/bytes.ts'
import type { KeyPair } from '../../../core/ed25519.ts'
import type { Genesis } from '../../../core/genesis.ts'
import { encodeNodeRegistration } from '../../../core/ledger-payloads.ts'
import { type SignedTx, signTx, TX_TYPES } from '../../../core/transaction.ts'
import { ChainIndex } from '../../../node/chain/chain-index.ts'
import { applyHeader, applyHeaders } from '../../../node/consensus/apply-header.ts'
import { producersAfter } from '../../../node/consensus/producer-set.ts'
import { inTurnProducer, signedRecently } from '../../../node/consensus/snapshot.ts'
import { sealDelay } from '../../../node/consensus/turn-delay.ts'
import { build, CHAIN, keys, type Name, NOW, T0 } from './chain.ts'

const hex = (n: Name) => toHex(keys[n].publicKey)
const sorted = (...names: Name[]) => names.map(hex).sort()

/** A node-register transaction signed by `signer` (default A, the authority). */
function register(node: Name, roles: number, signer: KeyPair = keys.A, nonce = 0): SignedTx {
  return signTx(
    {
      type: TX_TYPES.NODE_REGISTER,
      chainId: CHAIN,
      signer: signer.publicKey,
      nonce,
      payload: encodeNodeRegistration({ fee: 0n, node: keys[node].publicKey, roles, endpoints: [] }),
    },
    signer.secretKey,
  )
}

const rules = { genesis: new Set(sorted('A', 'B')), authority: keys.A.publicKey }

describe('producersAfter', () => {
  const before = sorted('A', 'B')

  it('adds a node the authority registers with the producer role, in key order', () => {
    expect(producersAfter(before, [register('C', ROLES.PRODUCER)], rules)).toEqual(sorted('A', 'B', 'C'))
    expect(producersAfter(before, [register('C', ROLES.PRODUCER | ROLES.EXECUTOR)], rules)).toContain(
      hex('C'),
    )
  })

  it('keeps the same array when a block changes nothing', () => {
    expect(producersAfter(before, [], rules)).toBe(before)
    expect(producersAfter(before, [register('C', ROLES.REPLICATOR)], rules)).toBe(before)
    expect(producersAfter(before, [register('A', ROLES.PRODUCER)], rules)).toBe(before)
  })

  it('ignores registrations not signed by the authority, or whose signature does not verify', () => {
    expect(producersAfter(before, [register('C', ROLES.PRODUCER, keys.B)], rules)).toBe(before)
    const forged = register('C', ROLES.PRODUCER)
    forged.signature = forged.signature.map((b, i) => (i === 0 ? b ^ 1 : b))
    expect(producersAfter(before, [forged], rules)).toBe(before)
  })

  it('removes a registered producer whose roles drop the role (or are 0), never a genesis producer', () => {
    const withC = sorted('A', 'B', 'C')
    expect(producersAfter(withC, [register('C', 0)], rules)).toEqual(before)
    expect(producersAfter(withC, [register('C', ROLES.EXECUTOR)], rules)).toEqual(before)
    expect(producersAfter(withC, [register('B', 0)], rules)).toBe(withC)
  })

  it('applies a block’s registrations in order', () => {
    const txs = [
      register('C', ROLES.PRODUCER),
      register('C', 0, keys.A, 1),
      register('D', ROLES.PRODUCER, keys.A, 2),
    ]
    expect(producersAfter(before, txs, rules)).toEqual(sorted('A', 'B', 'D'))
  })
})

const genesis: Genesis = {
  chainId: CHAIN,
  time: T0,
  producers: [keys.A.publicKey, keys.B.publicKey],
  authority: keys.A.publicKey,
}

/** An index over blocks by `signers`, the block at `regAt` carrying C's registration as producer. */
function indexed(
  signers: readonly Name[],
  regAt: number,
): { index: ChainIndex; headers: SignedBlockHeader[] } {
  const index = new ChainIndex(genesis)
  const headers = build(
    { height: 0, hash: index.genesis.hash, time: T0 },
    signers.map((by) => ({ by })),
  )
  for (const h of headers) {
    const txs = h.height === regAt ? [register('C', ROLES.PRODUCER)] : []
    index.push(h.height, h.hash, toHex(h.producer), h.time, txs)
  }
  return { index, headers }
}

describe('the chain index across a registration height', () => {
  it('names C a producer from the block after its registration: turns, weights, recents and finality follow', () => {
    const { index } = indexed(['A', 'B', 'A'], 2)
    expect(index.producersAt(0)).toEqual(sorted('A', 'B'))
    expect(index.producersAt(1)).toEqual(sorted('A', 'B'))
    // Block 2 registers C: block 3 was still signed under {A, B}; block 4 is the first of {A, B, C}.
    expect(index.producersAt(2)).toEqual(sorted('A', 'B', 'C'))
    expect(index.producers).toEqual(sorted('A', 'B', 'C'))
    const snap = index.snapshotAt()
    expect(snap.producers).toHaveLength(3)
    // The in-turn producer of height h is producers[h mod 3] of the new set.
    expect(inTurnProducer(snap, 4)).toBe(sorted('A', 'B', 'C')[1])
    // Recents window of three producers: the last block's signer (A) may not sign block 4; C may.
    expect(signedRecently(snap, hex('A'))).toBe(true)
    expect(sealDelay(snap, hex('C'), { intervalMs: 1000, wiggleMs: 500 })).toBeDefined()
    expect(sealDelay(index.snapshotAt(1), hex('C'), { intervalMs: 1000, wiggleMs: 500 })).toBeUndefined()
  })

  it('weighs each block by its parent’s set: the same signers weigh differently once the set changed', () => {
    const without = indexed(['A', 'B', 'A', 'B'], 0).index
    const withC = indexed(['A', 'B', 'A', 'B'], 2).index
    // Blocks 1-3 weigh the same; block 4 is in turn under {A,B} (4 mod 2) but its weight under {A,B,C} depends on order.
    expect(withC.totalWeight(3)).toBe(without.totalWeight(3))
    const set = sorted('A', 'B', 'C')
    expect(withC.totalWeight(4) - withC.totalWeight(3)).toBe(set[4 % 3] === hex('B') ? 2 : 1)
    expect(without.totalWeight(4) - without.totalWeight(3)).toBe(sorted('A', 'B')[0] === hex('B') ? 2 : 1)
  })

  it('a rollback of the registering block returns to the old set', () => {
    const { index } = indexed(['A', 'B'], 2)
    expect(index.producers).toHaveLength(3)
    index.pop()
    expect(index.producers).toEqual(sorted('A', 'B'))
  })
})

describe('header checks across a registration', () => {
  it('refuses C before its registration, accepts it after, in one branch checked with its own registrations', () => {
    const base = new ChainIndex(genesis).genesis
    const [h1] = build({ height: 0, hash: base.hash, time: T0 }, [{ by: 'C' }])
    expect(applyHeader(base, h1!, NOW)).toMatchObject({ ok: false, reason: 'unknown-producer' })

    const headers = build({ height: 0, hash: base.hash, time: T0 }, [{ by: 'A' }, { by: 'B' }, { by: 'C' }])
    // Without the branch's registrations C is unknown at block 3; with block 1 registering it, C may sign it.
    expect(applyHeaders(base, headers, NOW)).toMatchObject({
      ok: false,
      index: 2,
      reason: 'unknown-producer',
    })
    const txs = [[register('C', ROLES.PRODUCER)], [], []]
    const r = applyHeaders(base, headers, NOW, undefined, (i, before) =>
      producersAfter(before, txs[i]!, rules),
    )
    expect(r.ok).toBe(true)
    if (r.ok) expect(r.snapshot.producers).toEqual(sorted('A', 'B', 'C'))
  })
})
