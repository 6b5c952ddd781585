import { afterAll, describe, expect, it } from 'vitest'
import { toHex } from '../../core/bytes.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'
import {
  allReadingsOnce,
  converged,
  getJson,
  layoutTestnet,
  registeredGateway,
  reorgsLogged,
  startNodes,
  submitNextBatch,
  urlOf,
} from './network-helpers.ts'

/** How long a node stays stopped; STELE_SOAK_STOP_MS lengthens it outside CI (npm run soak:network). */
const STOP_MS = Number(process.env['STELE_SOAK_STOP_MS'] ?? 8000)

async function cluster(env: (i: number) => NodeJS.ProcessEnv = () => ({})) {
  const dir = await tempDir('stele-netf-')
  const layout = await layoutTestnet(dir.path, 3)
  const procs = await startNodes(layout, 3, env)
  const maker = await registeredGateway(layout)
  const ids: string[] = []
  async function submitAt(i: number, n = 4): Promise<void> {
    const r = await submitNextBatch(layout, maker, i, n, 20_000)
    expect(['accepted', 'duplicate']).toContain(r.status)
    ids.push(...r.ids)
  }
  return {
    layout,
    procs,
    ids,
    submitAt,
    async close() {
      await Promise.all(procs.map((p) => p.kill('SIGKILL')))
      await dir.cleanup()
    },
  }
}

type Cluster = Awaited<ReturnType<typeof cluster>>

describe('network faults', () => {
  let c: Cluster | undefined
  afterAll(async () => {
    await c?.close()
  })

  it(`a node stopped (SIGSTOP) ${STOP_MS} ms while the others continue: one chain after, no reading lost or doubled`, async () => {
    c = await cluster()
    const { layout, procs, submitAt } = c
    for (let k = 0; k < 3; k++) await submitAt(k % 3)
    await converged(layout, [0, 1, 2], 1)
    // A batch pending at node 2 when it stops: on resume it may seal it on its stale tip (a fork the others outweigh).
    await submitAt(2)
    procs[2]!.child.kill('SIGSTOP')
    const stoppedAt = Date.now()
    let k = 0
    while (Date.now() - stoppedAt < STOP_MS) await submitAt(k++ % 2)
    procs[2]!.child.kill('SIGCONT')
    await submitAt(2)
    const head = await converged(layout, [0, 1, 2], 3, 40_000)
    expect(head.height).toBeGreaterThan(3)
    for (let i = 0; i < 3; i++) await allReadingsOnce(layout, i, c.ids)
    // Whether node 2 sealed on its stale tip is timing; each reorg that happened is counted once, and the checks
    // above hold across it.
    for (let i = 0; i < 3; i++) {
      const reorgs = (await getJson(`${urlOf(layout, i)}/v1/health`)).body.network.reorgs
      expect(reorgs, `node ${i}`).toBe(reorgsLogged(procs[i]!))
    }
    await c.close()
    c = undefined
  }, 150_000)

  it('an equivocating producer (test hook) is detected and the evidence is on chain', async () => {
    c = await cluster((i) => (i === 0 ? { STELE_TEST_EQUIVOCATE: '1' } : {}))
    const { layout, submitAt } = c
    const offender = toHex(layout.nodes[0]!.key.publicKey)
    const found = await until(
      async () => {
        await submitAt(0, 2)
        for (const i of [0, 1, 2]) {
          const r = await getJson(`${urlOf(layout, i)}/v1/evidence`)
          const e = r.body?.evidence?.find((x: { producer: string }) => x.producer === offender)
          if (e) return e as { tx: string; block: number }
        }
        return undefined
      },
      {
        what: 'evidence on chain',
        timeoutMs: 40_000,
        everyMs: 500,
        detail: () =>
          JSON.stringify(
            c!.procs.map((p) =>
              p.lines
                .filter((l) => /equivoc|evidence|test hook|fail|refus/i.test(String(l['msg'])))
                .slice(-4),
            ),
          ),
      },
    )
    // Every node holds it in a block once the block reached it.
    for (const i of [0, 1, 2])
      await until(
        async () =>
          ['confirmed', 'final'].includes(
            (await getJson(`${urlOf(layout, i)}/v1/transactions/${found.tx}`)).body?.status,
          ),
        { what: `evidence confirmed at node ${i}`, timeoutMs: 20_000, everyMs: 200 },
      )
  }, 150_000)
})
