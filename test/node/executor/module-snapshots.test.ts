import { describe, expect, it } from 'vitest'
import { newEngine } from '../../../node/executor/engine.ts'
import { DEFAULT_LIMITS } from '../../../node/executor/limits.ts'
import { ModuleSnapshots } from '../../../node/executor/module-snapshots.ts'
import { executeContract, type RunRequest } from '../../../node/executor/run-contract.ts'
import { sandboxTemplate } from '../../../node/executor/sandbox-template.ts'
import { BLOCK_TIME, SEED } from './helpers.ts'

const FRESH = { memoryBytes: DEFAULT_LIMITS.memoryBytes * 2 }

describe('a contract module loaded once per engine', () => {
  it('every run starts from the module as loaded, with the gas of a run that loads it', async () => {
    const engine = await newEngine()
    // Module-level state and a top-level loop: a run that kept the last run's module would count 2, 3, ...
    const code = `
      let n = 0
      let warm = 0
      for (let i = 0; i < 3000; i++) warm += i
      export function inc(_a, ctx) { n++; ctx.state.set('n', n); return [n, warm, Math.random(), Date.now()] }`
    const req: RunRequest = {
      code,
      contractId: 'snap',
      calls: [{ handler: 'inc', input: null }],
      state: {},
      blockTime: BLOCK_TIME,
      seed: SEED,
    }
    // Loads it, loads it and keeps it, then three runs from the kept module.
    const runs = Array.from({ length: 5 }, () => executeContract(engine, req))
    expect(sandboxTemplate(engine)?.modules.get(code)).toBeDefined()
    const fresh = executeContract(engine, { ...req, limits: FRESH })
    for (const r of runs) {
      expect(r.status).toBe('ok')
      expect(r.output).toEqual(fresh.output)
      expect(r.gasUsed).toBe(fresh.gasUsed)
      expect(r.stateRootAfter).toBe(fresh.stateRootAfter)
    }
    expect(fresh.output).toEqual([1, 4498500, expect.any(Number), BLOCK_TIME])
    // A gas limit inside the module's top level ends out-of-gas at it, from the kept module as from a fresh one.
    for (const gasLimit of [fresh.gasUsed - 1, 1000]) {
      const kept = executeContract(engine, { ...req, gasLimit })
      expect(kept).toMatchObject({ status: 'out-of-gas', gasUsed: gasLimit })
      expect(executeContract(engine, { ...req, gasLimit, limits: FRESH })).toMatchObject({
        status: 'out-of-gas',
        gasUsed: gasLimit,
      })
    }
    expect(executeContract(engine, { ...req, gasLimit: fresh.gasUsed }).status).toBe('ok')
  })

  it("the block's time and seed are not available while the module loads", async () => {
    const engine = await newEngine()
    const load = (top: string) =>
      executeContract(engine, {
        code: `${top}\nexport function f() { return [Date.now(), new Date(0).getTime()] }`,
        contractId: 'top',
        calls: [{ handler: 'f', input: null }],
        state: {},
        blockTime: BLOCK_TIME,
        seed: SEED,
      })
    for (const top of ['const t = Date.now()', 'const d = new Date()', 'const r = Math.random()', 'Date()']) {
      const r = load(top)
      expect(r.status, top).toBe('error')
      expect(r.message, top).toMatch(/^load: TypeError: .* is not available while the module loads/)
    }
    // A fixed date and a captured Date are fine: the captured one reads the block time once the run starts.
    const ok = load('const D = Date; const epoch = new D(0).getTime()')
    expect(ok).toMatchObject({ status: 'ok', output: [BLOCK_TIME, 0] })
  })

  it('keeps at most 32 modules, least recently used out, and captures a code on its second run', () => {
    const kept = new ModuleSnapshots()
    const snap = { image: { ranges: [], bytes: 1000, restore: () => {} }, ns: {} as never, ticks: 1 }
    expect(kept.wanted('a')).toBe(false)
    expect(kept.wanted('a')).toBe(true)
    for (let i = 0; i < 33; i++) kept.add(`c${i}`, snap)
    expect(kept.get('c0')).toBeUndefined()
    expect(kept.get('c1')).toBe(snap)
    kept.add('c33', snap)
    expect(kept.get('c1')).toBe(snap)
    expect(kept.get('c2')).toBeUndefined()
  })
})
