import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyCommand } from '../../cli/commands/verify.ts'
import { buildScenario } from '../core/fixtures.ts'
import { tempDir } from '../helpers/tmp.ts'

const S = buildScenario()
let dir: { path: string; cleanup: () => Promise<void> }
beforeAll(async () => {
  dir = await tempDir('stele-verify-cli-')
  await writeFile(join(dir.path, 'proof.json'), JSON.stringify(S.bundle))
})
afterAll(() => dir.cleanup())

async function verify(genesisText: string): Promise<{ code: number; out: string[] }> {
  const file = join(dir.path, 'genesis.json')
  await writeFile(file, genesisText)
  const out: string[] = []
  const code = await verifyCommand([join(dir.path, 'proof.json'), '--genesis', file], (s) => out.push(s))
  return { code, out }
}

describe('stele verify --genesis (docs/protocol.md §6.3, check 2)', () => {
  it('passes with the right genesis', async () => {
    const r = await verify(JSON.stringify(S.bundle.genesis))
    expect(r.code).toBe(0)
    expect(r.out.join('\n')).toContain('VALID')
  })

  it('a genesis file that does not read fails genesis.trusted after bundle.format, like a mismatching one', async () => {
    const { hash: _h, ...bare } = S.bundle.genesis
    for (const text of ['not json', '{}', JSON.stringify({ ...bare, producers: [] })]) {
      const r = await verify(text)
      expect(r.code, text).toBe(1)
      expect(r.out[0], text).toMatch(/^ok +bundle\.format/)
      expect(r.out[1], text).toMatch(/^FAIL genesis\.trusted +the trusted genesis does not read: /)
      expect(r.out.at(-1)).toMatch(/^\nINVALID: genesis\.trusted: /)
    }
    const other = await verify(JSON.stringify({ ...bare, chainId: 'another' }))
    expect(other.code).toBe(1)
    expect(other.out[1]).toMatch(/^FAIL genesis\.trusted +the bundle names another genesis/)
  })
})
