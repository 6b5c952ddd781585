import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../../../node/executor/canonical-json.ts'
import { newEngine } from '../../../node/executor/engine.ts'
import { DEFAULT_LIMITS } from '../../../node/executor/limits.ts'
import { RunMemo } from '../../../node/executor/run-caches.ts'
import {
  executeContract,
  type RunOptions,
  type RunRequest,
  runContract,
} from '../../../node/executor/run-contract.ts'
import { sandboxTemplate } from '../../../node/executor/sandbox-template.ts'
import { BLOCK_TIME, SEED } from './helpers.ts'

/** The canonical encoding as docs/contracts.md §6 states it, written plainly: the reference for the fast paths. */
function reference(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${reference(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

describe('speed paths of a run', () => {
  it('canonical JSON by the native path equals the plain encoding, with few keys and with many', () => {
    // Integer-like keys ('10', '9') and '__proto__' are where key order is easiest to get wrong.
    const key = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('10', '9', '__proto__', 'a', 'b'))
    const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown)
    const value = fc.oneof(
      json,
      fc.dictionary(key, json, { maxKeys: 40 }),
      fc.array(fc.dictionary(key, json)),
    )
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(reference(v))
      }),
      { seed: 15, numRuns: 400 },
    )
    // Many distinct keys across many objects: the fallback encoder, same text.
    const wide = Array.from({ length: 200 }, (_, i) => ({ [`k${i}`]: i, z: [i], a: { [`n${i}`]: null } }))
    expect(canonicalJson(wide)).toBe(reference(wide))
    for (const bad of [[1, undefined], { a: undefined }, { a: [Number.NaN] }, [new Date(0)]])
      expect(() => canonicalJson(bad)).toThrow()
  })

  it('a run made with the same inputs is not made again; other inputs run', async () => {
    const made: RunOptions[] = []
    const memo = new RunMemo((req, opts) => {
      made.push(opts)
      return runContract(req, opts)
    })
    const req: RunRequest = {
      code: 'export function onReading(r, ctx) { ctx.state.set("n", (ctx.state.get("n") ?? 0) + r) }',
      contractId: 'memo',
      calls: [{ handler: 'onReading', input: 2 }],
      state: {},
      blockTime: BLOCK_TIME,
      seed: SEED,
    }
    const first = await memo.run(req)
    expect(first.stateAfter).toEqual({ n: 2 })
    // A request rebuilt from the same inputs (as a re-execution builds it) is the same run.
    expect(await memo.run({ ...req, calls: [{ handler: 'onReading', input: 2 }] })).toBe(first)
    expect(made).toHaveLength(1)
    expect(made[0]?.inputsHash).toBe(first.inputsHash)
    const other = await memo.run({ ...req, seed: new Uint8Array(32) })
    expect(other.inputsHash).not.toBe(first.inputsHash)
    expect(made).toHaveLength(2)
  })

  it('runs from the template see nothing an earlier run left, and count the gas of a fresh sandbox', async () => {
    const engine = await newEngine()
    const code = `
      export function leave(_a, ctx) {
        globalThis.left = 1; Object.prototype.polluted = 2; Math.max = () => 3; Array.prototype.push = null
        let big = ''; for (let i = 0; i < 2000; i++) big += 'x'; globalThis.big = big
        ctx.state.set('k', Math.random())
      }
      export function look(_a, ctx) {
        return [typeof left, ({}).polluted ?? null, Math.max(1, 2), typeof [].push, typeof big, Math.random(), Date.now()]
      }`
    const req = (handler: string): RunRequest => ({
      code,
      contractId: 'iso',
      calls: [{ handler, input: null }],
      state: {},
      blockTime: BLOCK_TIME,
      seed: SEED,
    })
    const clean = executeContract(engine, req('look'))
    expect(sandboxTemplate(engine)).toBeDefined()
    expect(clean.output).toEqual([
      'undefined',
      null,
      2,
      'function',
      'undefined',
      expect.any(Number),
      BLOCK_TIME,
    ])
    expect(executeContract(engine, req('leave')).status).toBe('ok')
    const after = executeContract(engine, req('look'))
    expect(after.output).toEqual(clean.output)
    expect(after.gasUsed).toBe(clean.gasUsed)
    // Another memory limit takes the fresh path (runtime, context and prelude made for the run): the same run.
    const fresh = executeContract(engine, {
      ...req('look'),
      limits: { memoryBytes: DEFAULT_LIMITS.memoryBytes * 2 },
    })
    expect(fresh.output).toEqual(clean.output)
    expect(fresh.gasUsed).toBe(clean.gasUsed)
    expect(fresh.stateRootAfter).toBe(clean.stateRootAfter)
    // So does a gas limit below the prelude's ticks, one tick at a time.
    for (const gasLimit of [1, 2, 3])
      expect(executeContract(engine, { ...req('look'), gasLimit }).status).toBe('out-of-gas')
  })
})
