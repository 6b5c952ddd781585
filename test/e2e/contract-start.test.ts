import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SteleProcess, spawnStele, startArgs, waitForNode } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'

let dir: Awaited<ReturnType<typeof tempDir>>
let stele: SteleProcess | undefined

beforeAll(async () => {
  dir = await tempDir('stele-e2e-contract-')
})
afterAll(async () => {
  await stele?.kill()
  await dir.cleanup()
})

describe('stele start deploys the sample contract', () => {
  it('fires the threshold alert within the first minute and confirms a result that re-executed the same', async () => {
    stele = spawnStele(startArgs(dir.path))
    const listening = await waitForNode(stele)
    const base = String(listening['url'])
    // biome-ignore lint/suspicious/noExplicitAny: test reads loosely typed JSON
    const get = async (path: string): Promise<any> => (await fetch(base + path)).json()
    const fired = await stele.waitFor((l) => String(l['msg']).startsWith('contract event: alert'), 'an alert')
    expect(fired['data']).toMatchObject({ sensor: 'temp' })
    const { items } = await get('/v1/contracts')
    expect(items).toHaveLength(1)
    const id = items[0].id as string
    const results = await until(
      async () => {
        const r = await get(`/v1/contracts/${id}/results`)
        return r.items.length > 0 && r.items
      },
      { what: 'a confirmed result', timeoutMs: 20_000, everyMs: 200 },
    )
    expect(results[0].status).toBe('ok')
    const events = await get(`/v1/contracts/${id}/events`)
    expect(events.items.some((e: { name: string }) => e.name === 'alert')).toBe(true)
    // Every result was admitted only after this node re-executed it: no evidence, no mismatch.
    expect((await get(`/v1/contracts/${id}/evidence`)).items).toEqual([])
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('stele_contract_mismatches_total 0')
  }, 90_000)
})
