/**
 * Clique's rules as a table, in the style of go-ethereum's consensus/clique/snapshot_test.go: producers, a sequence
 * of headers by producer name, and the outcome (valid with total weight and final height, or refused at an index
 * with a reason).
 */
import { describe, expect, it } from 'vitest'
import type { SignedBlockHeader } from '../../../core/block.ts'
import { toHex } from '../../../core/bytes.ts'
import {
  applyHeaders,
  type ConsensusParams,
  type RefusalReason,
} from '../../../node/consensus/apply-header.ts'
import { finalHeight } from '../../../node/consensus/finality.ts'
import { chooseTip, compareTips } from '../../../node/consensus/fork-choice.ts'
import { inTurnProducer } from '../../../node/consensus/snapshot.ts'
import { build, by, type HeaderSpec, keys, type Name, NOW, nameOf, snapshotOf, T0 } from './chain.ts'

interface Scenario {
  name: string
  producers: Name[]
  headers: HeaderSpec[]
  params?: ConsensusParams
  /** Refused at this index for this reason; absent: every header is valid. */
  refused?: { index: number; reason: RefusalReason }
  /** Final height after the valid prefix. */
  final?: number
}

const scenarios: Scenario[] = [
  {
    name: 'a single producer signs every block',
    producers: ['A'],
    headers: by('A', 'A', 'A', 'A', 'A'),
    final: 4,
  },
  { name: 'two producers alternate', producers: ['A', 'B'], headers: by('A', 'B', 'A', 'B'), final: 2 },
  {
    name: 'two producers: none signs twice in a row',
    producers: ['A', 'B'],
    headers: by('A', 'A'),
    refused: { index: 1, reason: 'recently-signed' },
  },
  {
    name: 'three producers: one in any two consecutive',
    producers: ['A', 'B', 'C'],
    headers: by('A', 'B', 'A', 'C', 'B'),
    final: 3,
  },
  {
    name: 'three producers: a signer may not follow itself',
    producers: ['A', 'B', 'C'],
    headers: by('A', 'B', 'B'),
    refused: { index: 2, reason: 'recently-signed' },
  },
  {
    name: 'five producers: one in any three consecutive',
    producers: ['A', 'B', 'C', 'D', 'E'],
    headers: by('A', 'B', 'A'),
    refused: { index: 2, reason: 'recently-signed' },
  },
  {
    name: 'five producers: back after three',
    producers: ['A', 'B', 'C', 'D', 'E'],
    headers: by('A', 'B', 'C', 'A', 'D'),
    final: 2,
  },
  {
    name: 'a minority cannot run the chain alone (two of five)',
    producers: ['A', 'B', 'C', 'D', 'E'],
    headers: by('A', 'B', 'A'),
    refused: { index: 2, reason: 'recently-signed' },
  },
  {
    name: 'an outsider is refused',
    producers: ['A', 'B'],
    headers: by('A', 'X'),
    refused: { index: 1, reason: 'unknown-producer' },
  },
  {
    name: 'a forged signature is refused',
    producers: ['A', 'B'],
    headers: [{ by: 'A' }, { by: 'B', tamper: 'signature' }],
    refused: { index: 1, reason: 'bad-signature' },
  },
  {
    name: 'a block of another chain is refused',
    producers: ['A', 'B'],
    headers: [{ by: 'A', tamper: 'chain' }],
    refused: { index: 0, reason: 'wrong-chain' },
  },
  {
    name: 'a block that does not link to its parent is refused',
    producers: ['A', 'B'],
    headers: [{ by: 'A' }, { by: 'B', tamper: 'prev' }],
    refused: { index: 1, reason: 'not-next' },
  },
  {
    name: 'a hash that is not of the header is refused',
    producers: ['A'],
    headers: [{ by: 'A', tamper: 'hash' }],
    refused: { index: 0, reason: 'bad-hash' },
  },
  {
    name: 'a block sooner than the period after its parent is refused',
    producers: ['A', 'B'],
    headers: [{ by: 'A' }, { by: 'B', gap: 999 }],
    params: { minGapMs: 1000, maxDriftMs: 15_000 },
    refused: { index: 1, reason: 'too-early' },
  },
  {
    name: 'a block from the future is refused',
    producers: ['A'],
    headers: [{ by: 'A', gap: NOW - T0 + 15_001 }],
    refused: { index: 0, reason: 'future' },
  },
  {
    name: 'a block at the drift limit is valid',
    producers: ['A'],
    headers: [{ by: 'A', gap: NOW - T0 + 15_000 }],
    final: 0,
  },
]

describe('Clique rules, scenario table', () => {
  it.each(scenarios)('$name', (sc) => {
    const snap = snapshotOf(sc.producers)
    const headers = build(snap, sc.headers)
    const r = applyHeaders(snap, headers, NOW, sc.params)
    if (sc.refused) {
      expect(r.ok).toBe(false)
      expect(r.ok ? undefined : { index: r.index, reason: r.reason }).toEqual(sc.refused)
      return
    }
    expect(r).toMatchObject({ ok: true })
    if (!r.ok) return
    // The weight: 2 per in-turn block, 1 per other.
    const expected = headers.reduce(
      (w, h) => w + (inTurnProducer(snap, h.height) === toHex(h.producer) ? 2 : 1),
      0,
    )
    expect(r.snapshot.totalWeight).toBe(expected)
    expect(r.snapshot.height).toBe(headers.length)
    if (sc.final !== undefined)
      expect(
        finalHeight(
          1,
          headers.map((h) => h.producer),
          sc.producers.length,
        ),
      ).toBe(sc.final)
  })
})

describe('turns and weights', () => {
  it('the in-turn producer of h is producers[h mod n], sorted by key; its block weighs 2', () => {
    const snap = snapshotOf(['C', 'A', 'B'])
    const sorted = ['A', 'B', 'C'].map((n) => toHex(keys[n as Name].publicKey)).sort()
    expect(snap.producers).toEqual(sorted)
    for (let h = 1; h <= 6; h++) expect(inTurnProducer(snap, h)).toBe(sorted[h % 3])
    const first = nameOf(inTurnProducer(snap, 1))
    const other = (['A', 'B', 'C'] as Name[]).find((n) => n !== first) as Name
    const inTurn = applyHeaders(snap, build(snap, by(first)), NOW)
    const outOfTurn = applyHeaders(snap, build(snap, by(other)), NOW)
    expect(inTurn.ok && inTurn.snapshot.totalWeight).toBe(2)
    expect(outOfTurn.ok && outOfTurn.snapshot.totalWeight).toBe(1)
  })
})

describe('fork choice', () => {
  it('the heavier fork wins: in-turn blocks beat out-of-turn blocks of the same length', () => {
    const snap = snapshotOf(['A', 'B', 'C'])
    const turn = (h: number) => nameOf(inTurnProducer(snap, h))
    // Fork X: each block by its in-turn producer. Fork Y: by the producer after it, never in turn.
    const next = (h: number) => nameOf(inTurnProducer(snap, h + 1))
    const x = applyHeaders(snap, build(snap, by(turn(1), turn(2), turn(3))), NOW)
    const y = applyHeaders(snap, build(snap, by(next(1), next(2), next(3))), NOW)
    if (!x.ok || !y.ok) throw new Error('both forks are valid')
    expect([x.snapshot.totalWeight, y.snapshot.totalWeight]).toEqual([6, 3])
    expect(chooseTip([y.snapshot, x.snapshot])).toBe(x.snapshot)
    // A longer fork of out-of-turn blocks can still lose: weight, not length, decides.
    const z = applyHeaders(snap, build(snap, by(next(1), next(2), next(3), next(4), next(5))), NOW)
    expect(z.ok && z.snapshot.totalWeight).toBe(5)
    expect(chooseTip([z.ok ? z.snapshot : snap, x.snapshot])).toBe(x.snapshot)
  })

  it('between equal weights, the lowest hash wins, whatever the order seen', () => {
    const snap = snapshotOf(['A', 'B', 'C'])
    const p = nameOf(inTurnProducer(snap, 1))
    const [a] = build(snap, [{ by: p, salt: 1 }])
    const [b] = build(snap, [{ by: p, salt: 2 }])
    const tips = [a, b].map((h) => ({ totalWeight: 2, hash: (h as SignedBlockHeader).hash }))
    const lower = Buffer.compare(tips[0]!.hash, tips[1]!.hash) < 0 ? tips[0] : tips[1]
    expect(chooseTip(tips)).toBe(lower)
    expect(chooseTip([...tips].reverse())).toBe(lower)
    expect(compareTips(tips[0]!, tips[0]!)).toBe(0)
  })
})

describe('finality', () => {
  it.each([
    { n: 1, signers: 'A', final: 0 },
    { n: 1, signers: 'AA', final: 1 },
    { n: 3, signers: 'AB', final: 0 },
    { n: 3, signers: 'ABC', final: 1 },
    { n: 3, signers: 'ABAB', final: 2 },
    { n: 3, signers: 'ABACB', final: 3 },
    { n: 4, signers: 'ABC', final: 0 },
    { n: 4, signers: 'ABCD', final: 1 },
    { n: 5, signers: 'ABCAB', final: 2 },
  ])('$n producers, blocks by $signers: final up to $final', ({ n, signers, final }) => {
    expect(
      finalHeight(
        1,
        [...signers].map((s) => toHex(keys[s as Name].publicKey)),
        n,
      ),
    ).toBe(final)
  })

  it('counts from the first height given', () => {
    expect(finalHeight(101, ['a', 'b', 'c'], 3)).toBe(101)
    expect(finalHeight(101, [], 3)).toBe(100)
  })
})
