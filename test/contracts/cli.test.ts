import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { contractCommand } from '../../cli/commands/contract.ts'
import { tempDir } from '../helpers/tmp.ts'

const examples = join(import.meta.dirname, '../../contracts/examples')

describe('stele contract test', () => {
  it('runs a contract on readings and prints events, final state and gas', async () => {
    const lines: string[] = []
    const code = await contractCommand(
      [
        'test',
        join(examples, 'threshold-alert.js'),
        '--readings',
        join(examples, 'freezer.ndjson'),
        '--json',
      ],
      (s) => lines.push(s),
    )
    expect(code).toBe(0)
    const r = JSON.parse(lines.join('\n'))
    expect(r.events.map((e: { name: string }) => e.name)).toEqual(['alert', 'clear'])
    // Exact ticks of the pinned engine build and gas schedule 2 over the 15 runs (prelude, module load and
    // onReading each).
    expect(r.gasUsed).toBe(1993)
    expect(r.state).toHaveProperty(['alarm:freezer-1/temperature'])
  })

  it('refuses a syntax error with its line, and exits 1 when a run fails', async () => {
    const tmp = await tempDir()
    onTestFinished(tmp.cleanup)
    const dir = tmp.path
    const bad = join(dir, 'bad.js')
    writeFileSync(bad, 'export function onReading(r) {\n  return r +\n}\n')
    await expect(
      contractCommand(['test', bad, '--readings', join(examples, 'freezer.ndjson')], () => {}),
    ).rejects.toMatchObject({
      code: 'STELE_CONTRACT_INVALID',
      details: { line: 3 },
    })
    const loop = join(dir, 'loop.js')
    writeFileSync(loop, 'export function onReading(r) { if (r.value > -15) for (;;) {} }\n')
    const lines: string[] = []
    const code = await contractCommand(
      ['test', loop, '--readings', join(examples, 'freezer.ndjson'), '--gas', '50000'],
      (s) => lines.push(s),
    )
    expect(code).toBe(1)
    expect(lines.join('\n')).toMatch(/OUT-OF-GAS/)
  })
})
