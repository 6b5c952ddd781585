import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../core/bytes.ts'
import type { StampedRecord } from '../../core/record.ts'
import { aggregate, parseEvery, planPieces } from '../../node/chain/aggregate.ts'
import { RESOLUTIONS } from '../../node/chain/rollups.ts'
import type { SteleNode } from '../../node/node.ts'
import { BatchMaker } from '../helpers/batches.ts'
import { nodeFixture } from '../helpers/node.ts'

type Fixture = Awaited<ReturnType<typeof nodeFixture>>
let fx: Fixture | undefined
let reopened: SteleNode | undefined
afterEach(async () => {
  await reopened?.close().catch(() => undefined)
  reopened = undefined
  await fx?.close()
  fx = undefined
})

const T0 = 1_700_000_012_345

interface Step {
  dt: number
  sensor: 'a' | 'b'
  value: number
}

/** Records at explicit times and values for one gateway, continuing its record sequence. */
function records(gw: BatchMaker, steps: readonly Step[]): StampedRecord[] {
  return steps.map((s) => {
    gw.recordSeq++
    gw.time += s.dt
    return {
      gateway: gw.key.publicKey,
      seq: gw.recordSeq,
      time: gw.time,
      logical: 0,
      device: 'dev-1',
      sensor: s.sensor,
      value: s.value,
      source: 'sim',
    }
  })
}

interface Expected {
  start: number
  count: number
  min: number
  max: number
  sum: number
  first: number
  last: number
}

/** The definition, on every reading: group by epoch-aligned `every`, first earliest, last latest (ties: accepted last). */
function bruteForce(
  readings: readonly { time: number; value: number }[],
  from: number | undefined,
  to: number | undefined,
  every: number,
): Expected[] {
  const out = new Map<number, Expected & { firstTime: number; lastTime: number }>()
  for (const r of readings) {
    if ((from !== undefined && r.time < from) || (to !== undefined && r.time > to)) continue
    const start = Math.floor(r.time / every) * every
    let b = out.get(start)
    if (!b) {
      b = {
        start,
        count: 0,
        min: Infinity,
        max: -Infinity,
        sum: 0,
        first: 0,
        firstTime: Infinity,
        last: 0,
        lastTime: -Infinity,
      }
      out.set(start, b)
    }
    b.count++
    b.min = Math.min(b.min, r.value)
    b.max = Math.max(b.max, r.value)
    b.sum += r.value
    if (r.time < b.firstTime) [b.first, b.firstTime] = [r.value, r.time]
    if (r.time >= b.lastTime) [b.last, b.lastTime] = [r.value, r.time]
  }
  return [...out.values()]
    .sort((a, b) => a.start - b.start)
    .map(({ start, count, min, max, sum, first, last }) => ({ start, count, min, max, sum, first, last }))
}

async function check(
  node: SteleNode,
  readings: readonly { time: number; value: number }[],
  sensor: string,
  q: { from?: number; to?: number; every: string },
): Promise<void> {
  const everyMs = parseEvery(q.every)
  const want = bruteForce(readings, q.from, q.to, everyMs)
  // Without the sensor's latest time, and with it (as the route asks: the range ends with its bucket).
  for (const lastTime of [undefined, node.devices.get('dev-1')?.sensors[sensor]?.time]) {
    const got = await aggregate(node.db, node.state.maxChunkSpan, {
      device: 'dev-1',
      sensor,
      from: q.from,
      to: q.to,
      everyMs,
      lastTime,
    })
    expect(got.buckets.map((b) => [b.start, b.count, b.min, b.max, b.first, b.last])).toEqual(
      want.map((b) => [b.start, b.count, b.min, b.max, b.first, b.last]),
    )
    got.buckets.forEach((b, i) => {
      expect(Math.abs(b.sum - want[i]!.sum)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want[i]!.sum)))
    })
  }
}

const stepArb = fc.record({
  // Mostly close together, sometimes across minute, hour and day boundaries, sometimes the same millisecond.
  dt: fc.oneof(
    fc.integer({ min: 0, max: 20_000 }),
    fc.integer({ min: 0, max: 4_000_000 }),
    fc.integer({ min: 0, max: 100_000_000 }),
  ),
  sensor: fc.constantFrom('a' as const, 'b' as const),
  value: fc.integer({ min: -4000, max: 4000 }).map((n) => n / 4),
})
const everyArb = fc.constantFrom('1m', '5m', '15m', '1h', '90m', '2h', '1d', '2d', '3d')
const queryArb = fc.record({
  every: everyArb,
  from: fc.option(fc.integer({ min: -3_600_000, max: 400_000_000 }), { nil: undefined }),
  span: fc.option(fc.integer({ min: 0, max: 500_000_000 }), { nil: undefined }),
  /** When set, from and to sit exactly on readings (the edges most likely to be off by one). */
  onReadings: fc.option(fc.tuple(fc.nat(), fc.nat()), { nil: undefined }),
})

describe('rollups and aggregates', () => {
  it('plans pieces that cover the range exactly, coarsest inside, edges finer', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        fc.integer({ min: 0, max: 2 }),
        (a, len, top) => {
          const pieces = planPieces(a, a + len, top)
          let at = a
          for (const p of pieces) {
            expect(p.from).toBe(at)
            expect(p.to).toBeGreaterThan(p.from)
            if (p.level >= 0) {
              const ms = RESOLUTIONS[p.level]!.ms
              expect(p.from % ms).toBe(0)
              expect(p.to % ms).toBe(0)
            } else expect(p.to - p.from).toBeLessThan(2 * 60_000)
            at = p.to
          }
          expect(at).toBe(a + len)
        },
      ),
      { seed: 6, numRuns: 300 },
    )
  })

  it('parses every as whole minutes and refuses the rest', () => {
    expect(parseEvery('1m')).toBe(60_000)
    expect(parseEvery('15m')).toBe(900_000)
    expect(parseEvery('120s')).toBe(120_000)
    expect(parseEvery('1d')).toBe(86_400_000)
    for (const bad of ['0m', '90s', '1', 'm', '1y', '-1h', '1.5h', ''])
      expect(() => parseEvery(bad), bad).toThrow(/whole number of minutes/)
  })

  it('equals a brute-force computation over the same readings, across batches, gateways and a restart', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(stepArb, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 8 }),
        fc.array(stepArb, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 8 }),
        fc.array(queryArb, { minLength: 3, maxLength: 3 }),
        async (batches, late, restartAfter, queries) => {
          fx = await nodeFixture()
          let node = fx.node
          const gw = new BatchMaker(node.genesis.chainId, { startTime: T0 })
          const lateGw = new BatchMaker(node.genesis.chainId, { startTime: T0 - 7_200_000 })
          await node.registerGateway(toHex(gw.key.publicKey), 'main')
          await node.registerGateway(toHex(lateGw.key.publicKey), 'late')
          const accepted: StampedRecord[] = []
          for (let i = 0; i < batches.length; i++) {
            if (i === restartAfter) {
              node = reopened = await fx.reopen()
            }
            const recs = records(gw, batches[i]!)
            const sealed = gw.seal(recs)
            await node.submitBatches([{ tx: sealed.tx.bytes, records: sealed.records }])
            accepted.push(...recs)
            if (i === 1) {
              // Another gateway reports the same sensors with times before the open buckets (late data).
              const lr = records(lateGw, late)
              const ls = lateGw.seal(lr)
              await node.submitBatches([{ tx: ls.tx.bytes, records: ls.records }])
              accepted.push(...lr)
            }
          }
          for (const sensor of ['a', 'b']) {
            const readings = accepted.filter((r) => r.sensor === sensor)
            if (readings.length === 0) continue
            await check(node, readings, sensor, { every: '1h' })
            for (const q of queries) {
              let from = q.from === undefined ? undefined : T0 + q.from
              let to = from === undefined || q.span === undefined ? undefined : from + q.span
              if (q.onReadings) {
                const [i, j] = [q.onReadings[0] % readings.length, q.onReadings[1] % readings.length]
                from = Math.min(readings[i]!.time, readings[j]!.time)
                to = Math.max(readings[i]!.time, readings[j]!.time)
              }
              await check(node, readings, sensor, {
                every: q.every,
                ...(from === undefined ? {} : { from }),
                ...(to === undefined ? {} : { to }),
              })
            }
          }
          await reopened?.close()
          reopened = undefined
          await fx.close()
          fx = undefined
        },
      ),
      { seed: 60, numRuns: 12 },
    )
  })

  it('keeps the rollups of a batch with the batch: a restarted node continues the open buckets', async () => {
    fx = await nodeFixture()
    const T = 1_700_000_020_000 // 40 s into a minute
    const gw = new BatchMaker(fx.node.genesis.chainId, { startTime: T })
    await fx.node.registerGateway(toHex(gw.key.publicKey), 'g')
    const first = records(gw, [
      { dt: 0, sensor: 'a', value: 5 },
      { dt: 1000, sensor: 'a', value: -1 },
    ])
    const s1 = gw.seal(first)
    await fx.node.submitBatches([{ tx: s1.tx.bytes, records: s1.records }])
    reopened = await fx.reopen()
    const second = records(gw, [
      { dt: 1000, sensor: 'a', value: 9 },
      { dt: 60_000, sensor: 'a', value: 2 },
    ])
    const s2 = gw.seal(second)
    await reopened.submitBatches([{ tx: s2.tx.bytes, records: s2.records }])
    const got = await aggregate(reopened.db, reopened.state.maxChunkSpan, {
      device: 'dev-1',
      sensor: 'a',
      everyMs: 60_000,
    })
    expect(got.resolution).toBe('m')
    expect(got.buckets.map((b) => [b.count, b.min, b.max, b.sum, b.first, b.last])).toEqual([
      [3, -1, 9, 13, 5, 9],
      [1, 2, 2, 2, 2, 2],
    ])
  })

  it('writes the buckets of every batch of one call, as folded by them all (one put a bucket a call)', async () => {
    fx = await nodeFixture()
    const gw = new BatchMaker(fx.node.genesis.chainId, { startTime: 1_700_000_020_000 })
    await fx.node.registerGateway(toHex(gw.key.publicKey), 'g')
    const batches = [
      [
        { dt: 0, sensor: 'a', value: 5 },
        { dt: 1000, sensor: 'b', value: 1 },
      ],
      [{ dt: 1000, sensor: 'a', value: -1 }],
      [
        { dt: 60_000, sensor: 'a', value: 7 },
        { dt: 1000, sensor: 'a', value: 3 },
      ],
    ] satisfies Step[][]
    const sealed = batches.map((steps) => gw.seal(records(gw, steps)))
    await fx.node.submitBatches(sealed.map((b) => ({ tx: b.tx.bytes, records: b.records })))
    reopened = await fx.reopen() // from disk: what the call's one write holds
    const got = await aggregate(reopened.db, reopened.state.maxChunkSpan, {
      device: 'dev-1',
      sensor: 'a',
      everyMs: 60_000,
    })
    expect(got.buckets.map((b) => [b.count, b.min, b.max, b.sum, b.first, b.last])).toEqual([
      [2, -1, 5, 4, 5, -1],
      [2, 3, 7, 10, 7, 3],
    ])
  })
})
