import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isSteleError } from '../../../core/errors.ts'
import { checkContract } from '../../../node/executor/check-contract.ts'
import { heapBytes, newEngine } from '../../../node/executor/engine.ts'
import { DEFAULT_LIMITS, TICKS_PER_INTERRUPT } from '../../../node/executor/limits.ts'
import { runContract, stateBytes } from '../../../node/executor/run-contract.ts'
import { BLOCK_TIME, run1, SEED } from './helpers.ts'

describe('bad contracts', () => {
  it('a syntax error is refused at deploy with its line and column', async () => {
    const code = 'export function onReading(r, ctx) {\n  const x = 1\n  return x +\n}\n'
    const e = await checkContract(code).catch((err: unknown) => err)
    expect(isSteleError(e, 'STELE_CONTRACT_INVALID')).toBe(true)
    expect((e as Error).message).toMatch(/^SyntaxError at line 4, column \d+: /)
    expect((e as { details: { line: number } }).details.line).toBe(4)
  })

  it('an import, a top-level throw or await, or no exported function is refused at deploy', async () => {
    for (const code of [
      'import x from "os"\nexport function onReading() {}',
      'throw new Error("no")\nexport function onReading() {}',
      'await 1\nexport function onReading() {}',
      'export const limit = 3',
      'while (true) {}\nexport function onReading() {}',
    ]) {
      const e = await checkContract(code).catch((err: unknown) => err)
      expect(isSteleError(e, 'STELE_CONTRACT_INVALID'), code).toBe(true)
    }
  })

  it('an infinite loop ends out-of-gas, quickly, with all its gas used and nothing kept', async () => {
    const t0 = performance.now()
    const r = await run1(
      'export function onReading(_, ctx) { ctx.state.set("a", 1); ctx.emit("x", 1); for (;;) {} }',
      null,
      {
        state: { before: true },
      },
    )
    expect(r).toMatchObject({
      status: 'out-of-gas',
      gasUsed: DEFAULT_LIMITS.gasLimit,
      stateAfter: { before: true },
      events: [],
      deterministic: true,
    })
    expect(r.stateRootAfter).toBe(r.stateRootBefore)
    expect(performance.now() - t0).toBeLessThan(1500)
  })

  it('gas is every tick: a run fits a gas limit of exactly its gas and not one less', async () => {
    const loop = (n: number) =>
      `export function onReading() { let s = 0; for (let i = 0; i < ${n}; i++) s += i; return s }`
    const a = await run1(loop(1000))
    const b = await run1(loop(2000))
    expect(a.status).toBe('ok')
    // Two ticks per iteration of this loop, everything else equal.
    expect(b.gasUsed - a.gasUsed).toBe(2000)
    const exact = await run1(loop(1000), null, { gasLimit: a.gasUsed })
    expect(exact).toMatchObject({ status: 'ok', gasUsed: a.gasUsed, output: a.output })
    const short = await run1(loop(1000), null, { gasLimit: a.gasUsed - 1 })
    expect(short).toMatchObject({ status: 'out-of-gas', gasUsed: a.gasUsed - 1 })
  })

  it('a regexp that backtracks without end runs out of gas', async () => {
    const r = await run1('export function onReading() { return /(a+)+b/.test("a".repeat(40)) }', null, {
      gasLimit: 20 * TICKS_PER_INTERRUPT,
    })
    expect(r).toMatchObject({ status: 'out-of-gas', gasUsed: 20 * TICKS_PER_INTERRUPT })
  })

  it('out-of-gas cannot be caught by the contract', async () => {
    const r = await run1(
      'export function onReading() { try { for (;;) {} } catch (e) { return "caught" } }',
      null,
      { gasLimit: 20 * TICKS_PER_INTERRUPT },
    )
    expect(r).toMatchObject({ status: 'out-of-gas', gasUsed: 20 * TICKS_PER_INTERRUPT })
  })

  it('a memory bomb ends error, and the next run in the same engine is clean', async () => {
    const r = await run1(
      'export function onReading() { const a = []; for (let i = 0; ; i++) a.push({ i, s: "v" + i }) }',
    )
    expect(r).toMatchObject({ status: 'error', deterministic: true })
    expect(r.message).toMatch(/out of memory/)
    // Large blocks are counted by number, not size, by this QuickJS build: the heap guard stops them.
    const big = await run1(
      'export function onReading() { const a = []; for (;;) a.push(new Array(4096).fill(a.length)) }',
    )
    expect(big).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/memory limit|out of memory/),
    })
    const r2 = await run1(
      'export function onReading() { const a = []; for (let i = 0; i < 20000; i++) a.push({ i }); return a.length }',
    )
    expect(r2).toMatchObject({ status: 'ok', output: 20000 })
  })

  it('a bomb of large strings is stopped within tens of MB of heap growth', async () => {
    const engine = await newEngine()
    await run1('export function onReading() {}', null, {}, { engine })
    const before = heapBytes(engine)
    const r = await run1(
      'export function onReading() { const a = []; for (;;) a.push("x".repeat(100000) + a.length) }',
      null,
      {},
      { engine },
    )
    expect(r).toMatchObject({ status: 'error', message: expect.stringMatching(/memory limit|out of memory/) })
    // The guard allows 4 times the 8 MiB limit; polls every 1,024 ticks (64 once growing) overshoot it a little.
    expect(heapBytes(engine) - before).toBeLessThan(64 * 1024 * 1024)
  })

  it('unbounded recursion ends error (stack limit)', async () => {
    const r = await run1('function f(n) { return f(n + 1) + 1 }\nexport function onReading() { return f(0) }')
    expect(r.status).toBe('error')
    expect(r.message).toMatch(/stack overflow/)
  })

  it('the wall-clock guard and an abort stop a run as a failure that is not a result', async () => {
    let t = 0
    const wall = await run1(
      'export function onReading() { for (;;) {} }',
      null,
      {},
      { now: () => (t += 100), wallClockMs: 1000 },
    )
    expect(wall).toMatchObject({ status: 'error', message: 'wall-clock limit', deterministic: false })
    const ac = new AbortController()
    ac.abort()
    const aborted = await run1('export function onReading() { for (;;) {} }', null, {}, { signal: ac.signal })
    expect(aborted).toMatchObject({ status: 'error', message: 'aborted', deterministic: false })
  })

  it('a thrown error is status error with its message and line', async () => {
    const r = await run1(
      'export function onReading(r) {\n  if (r.v > 1) throw new RangeError("too big")\n}',
      { v: 2 },
    )
    expect(r.status).toBe('error')
    expect(r.message).toMatch(/^run: RangeError: too big \(contract\.js:2:\d+\)$/)
  })

  it('state, events and outputs are bounded', async () => {
    const big = await run1('export function onReading(_, ctx) { ctx.state.set("k", "x".repeat(70000)) }')
    expect(big.status).toBe('error')
    expect(big.message).toMatch(/state limit/)
    const many = await run1(
      'export function onReading(_, ctx) { for (let i = 0; i < 101; i++) ctx.emit("e", i) }',
    )
    expect(many.message).toMatch(/event limit/)
    const fat = await run1('export function onReading(_, ctx) { ctx.emit("e", "x".repeat(5000)) }')
    expect(fat.message).toMatch(/event limit/)
    const out = await run1('export function onReading() { return "x".repeat(20000) }')
    expect(out.message).toMatch(/output limit/)
    const notJson = await run1('export function onReading(_, ctx) { ctx.state.set("f", () => 1) }')
    expect(notJson.message).toMatch(/not JSON/)
    const fits = await run1(
      'export function onReading(_, ctx) { ctx.state.set("k", "x".repeat(60000)); return ctx.state.size }',
    )
    expect(fits).toMatchObject({ status: 'ok', output: 60000 + 1 + 2 })
  })

  it('handlers are synchronous and must exist', async () => {
    const p = await run1('export async function onReading() { return 1 }')
    expect(p.message).toMatch(/returned a promise/)
    const missing = await run1('export function other() {}')
    expect(missing.message).toMatch(/exports no function "onReading"/)
  })

  it('a batch of calls is atomic: one failure keeps no state and no events', async () => {
    const r = await runContract({
      code: `export function onReading(r, ctx) { ctx.emit('seen', r.v); ctx.state.set('last', r.v); if (r.v === 3) throw new Error('bad') }`,
      contractId: 'c',
      calls: [1, 2, 3].map((v) => ({ handler: 'onReading', input: { v } })),
      state: {},
      blockTime: BLOCK_TIME,
      seed: SEED,
    })
    expect(r).toMatchObject({ status: 'error', events: [], stateAfter: {} })
  })

  it('a malformed request is the caller error, not a result', async () => {
    const bad = { code: '', contractId: 'c', calls: [], state: {}, blockTime: 1, seed: SEED }
    await expect(runContract({ ...bad, gasLimit: 0 })).rejects.toMatchObject({ code: 'STELE_BAD_REQUEST' })
    await expect(runContract({ ...bad, blockTime: -1 })).rejects.toMatchObject({ code: 'STELE_BAD_REQUEST' })
    await expect(runContract({ ...bad, calls: [{ handler: 'a b', input: null }] })).rejects.toMatchObject({
      code: 'STELE_BAD_REQUEST',
    })
    await expect(runContract({ ...bad, seed: new Uint8Array(3) })).rejects.toMatchObject({
      code: 'STELE_BAD_ENCODING',
    })
  })
})

describe('state bytes', () => {
  it('ctx.state.size counts UTF-8 as the host does, for any text', async () => {
    const r = await run1(
      `export function onReading(_, ctx) {
        ctx.state.set('a', 'plain ascii')
        ctx.state.set('é-key', 'café €5 😀')
        ctx.state.set('lone', ['\\ud800', '\\ud800x', 'x\\udc00y', '\\ud83d\\ude00'])
        ctx.state.set('\\ud800é', 1)
        ctx.state.set('a', 'shorter')
        ctx.state.set('gone', 'x'.repeat(100))
        ctx.state.delete('gone')
        return ctx.state.size
      }`,
    )
    expect(r.status).toBe('ok')
    expect(r.output).toBe(stateBytes(r.stateAfter))
  })

  it('a set is refused exactly when the state would pass its limit, measured or bounded', async () => {
    // Keys and texts of 1 to 4 UTF-8 bytes per character, near a small limit: the sandbox measures only when
    // 3 bytes per UTF-16 unit could pass it, and must refuse exactly where the host's count does.
    const char = fc.constantFrom('a', 'é', '€', '€', '€', '€', '😀', '\ud800')
    const text = fc.array(char, { maxLength: 40 }).map((c) => c.join(''))
    const op = fc.record({
      key: fc.constantFrom('k', 'é', '😀k', 'key-4'),
      value: text,
      del: fc.constantFrom(false, false, false, true),
    })
    const limit = 120
    // 3 bytes in each unit: the bound is tight here, and the second set is refused at its exact size.
    const euros = await runContract({
      code: `export function onReading(_, ctx) {
        const out = []
        for (const k of ['k', 'j']) try { ctx.state.set(k, '€'.repeat(30)); out.push('ok') } catch (e) { out.push(e.message) }
        return out
      }`,
      contractId: 'bytes',
      calls: [{ handler: 'onReading', input: null }],
      state: {},
      blockTime: BLOCK_TIME,
      seed: SEED,
      limits: { stateBytes: 150 },
    })
    expect(euros.output).toEqual(['ok', 'state limit: 186 bytes is over 150'])
    const bytes = (k: string, v: string) => Buffer.byteLength(k) + Buffer.byteLength(JSON.stringify(v))
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 20 }), text, async (ops, first) => {
        const state = { a: first }
        const model = new Map<string, string>(Object.entries(state))
        const want: string[] = []
        for (const o of ops) {
          if (o.del) {
            want.push(model.delete(o.key) ? 'deleted' : 'absent')
            continue
          }
          const others = [...model].filter(([k]) => k !== o.key)
          const size = others.reduce((n, [k, v]) => n + bytes(k, v), 0) + bytes(o.key, o.value)
          if (size > limit) want.push('limit')
          else {
            model.set(o.key, o.value)
            want.push('ok')
          }
        }
        const r = await runContract({
          code: `export function onReading(ops, ctx) {
            const out = []
            for (const o of ops) {
              if (o.del) { out.push(ctx.state.delete(o.key) ? 'deleted' : 'absent'); continue }
              try { ctx.state.set(o.key, o.value); out.push('ok') } catch (e) { out.push(e instanceof RangeError ? 'limit' : String(e)) }
            }
            return [out, ctx.state.size]
          }`,
          contractId: 'bytes',
          calls: [{ handler: 'onReading', input: ops }],
          state,
          blockTime: BLOCK_TIME,
          seed: SEED,
          limits: { stateBytes: limit },
        })
        expect(r.status).toBe('ok')
        expect(r.output).toEqual([want, stateBytes(Object.fromEntries(model))])
      }),
      { seed: 7, numRuns: 150 },
    )
  })
})
