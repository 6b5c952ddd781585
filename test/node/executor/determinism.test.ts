import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../../../node/executor/canonical-json.ts'
import { newEngine } from '../../../node/executor/engine.ts'
import { eventsHash, STATE_TAG, stateRoot } from '../../../node/executor/hashes.ts'
import { inputsHash, type RunRequest, runContract } from '../../../node/executor/run-contract.ts'
import { deriveSeed } from '../../../node/executor/seed.ts'
import { BLOCK_TIME, run1, SEED } from './helpers.ts'

const NOISY = `
export function onReading(r, ctx) {
  const draws = [Math.random(), ctx.random(), Math.random()]
  let acc = 0
  for (let i = 0; i < 30000; i++) acc = (acc + Math.sin(i) * r.value) % 1000
  const d = new Date()
  ctx.state.set('n', (ctx.state.get('n') ?? 0) + 1)
  ctx.state.set('acc', acc)
  ctx.emit('tick', { draws, now: Date.now(), iso: d.toISOString(), local: d.toString(), hours: d.getHours(),
    tz: d.getTimezoneOffset(), parsed: Date.parse('2026-01-01T10:00'), other: Date.parse('Jan 1 2026') })
  return acc
}`

describe('determinism', () => {
  it('two fresh sandboxes on recorded inputs give the same output, state, events, gas and hashes', async () => {
    const calls = [3.5, -1, 20].map((value) => ({
      handler: 'onReading',
      input: { device: 'd', sensor: 's', value },
    }))
    const req: RunRequest = {
      code: NOISY,
      contractId: 'c1',
      calls,
      state: { n: 5 },
      blockTime: BLOCK_TIME,
      seed: SEED,
    }
    const [a, b] = [
      await runContract(req, { engine: await newEngine() }),
      await runContract(req, { engine: await newEngine() }),
    ]
    expect(a.status).toBe('ok')
    expect(a.gasUsed).toBeGreaterThan(10_000)
    expect(b).toEqual(a)
    const tick = a.events[0]!.data as Record<string, unknown>
    expect(tick).toMatchObject({
      now: BLOCK_TIME,
      iso: '2026-01-01T12:00:00.000Z',
      local: '2026-01-01T12:00:00.000Z',
      hours: 12,
      tz: 0,
      parsed: Date.UTC(2026, 0, 1, 10),
      other: null,
    })
  })

  it('random follows the seed: another seed, another stream; the seed is sha256(blockHash || contractId)', async () => {
    const code = 'export function onReading() { return [Math.random(), Math.random()] }'
    const a = await run1(code)
    const b = await run1(code, null, { seed: new Uint8Array(32).fill(9) })
    expect(a.output).not.toEqual(b.output)
    expect(a.output).toEqual((await run1(code)).output)
    const hash = new Uint8Array(32).fill(1)
    const want = createHash('sha256').update(hash).update('my-contract').digest()
    expect(Buffer.from(deriveSeed(hash, 'my-contract'))).toEqual(want)
  })

  it('the inputs hash commits to every input', async () => {
    const req: RunRequest = {
      code: 'export function f() {}',
      contractId: 'c',
      calls: [{ handler: 'f', input: 1 }],
      state: {},
      blockTime: 1,
      seed: SEED,
    }
    const h = inputsHash(req)
    for (const change of [
      { code: 'export function f() { }' },
      { contractId: 'd' },
      { calls: [{ handler: 'f', input: 2 }] },
      { state: { a: 1 } },
      { blockTime: 2 },
      { seed: new Uint8Array(32) },
      { gasLimit: 20_000 },
      { limits: { stateBytes: 10 } },
    ])
      expect(inputsHash({ ...req, ...change }), JSON.stringify(change)).not.toBe(h)
  })
})

describe('canonical encodings', () => {
  it('canonical JSON sorts keys, drops whitespace and refuses what JSON cannot say', () => {
    expect(canonicalJson({ b: [1, { d: -0, c: 'é' }], a: null, '': true })).toBe(
      '{"":true,"a":null,"b":[1,{"c":"é","d":0}]}',
    )
    expect(canonicalJson(1e21)).toBe('1e+21')
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, undefined, () => 1, new Date(0), new Map()])
      expect(() => canonicalJson(bad)).toThrow()
    let deep: unknown = 1
    for (let i = 0; i < 70; i++) deep = [deep]
    expect(() => canonicalJson(deep)).toThrow(/nested deeper/)
  })

  it('stateRoot is sha256(tag || 0x00 || canonical JSON), the same for any key order', () => {
    const want = createHash('sha256').update(`${STATE_TAG}\0{"a":1,"b":[true]}`).digest('hex')
    expect(stateRoot({ b: [true], a: 1 })).toBe(want)
    expect(stateRoot({ a: 1, b: [true] })).toBe(want)
    expect(stateRoot({})).toBe(createHash('sha256').update(`${STATE_TAG}\0{}`).digest('hex'))
    expect(eventsHash([{ name: 'a', data: 1 }])).not.toBe(eventsHash([{ name: 'a', data: 2 }]))
  })

  it('the example run in docs/contracts.md gives the documented hashes', async () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/contracts.md'), 'utf8')
    const r = await runContract({
      code: 'export function onReading(r, ctx) { ctx.state.set("last", r.value); ctx.emit("seen", r.value); return r.value * 2 }',
      contractId: 'doc-example',
      calls: [{ handler: 'onReading', input: { value: 21 } }],
      state: {},
      blockTime: 1767225600000,
      seed: new Uint8Array(32),
    })
    expect(r).toMatchObject({ status: 'ok', output: 42, gasUsed: 122 })
    for (const h of [r.inputsHash, r.stateRootBefore, r.stateRootAfter, r.eventsHash])
      expect(doc).toContain(h)
  })
})
