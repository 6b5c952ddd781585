import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestnetLayout } from '../../cli/commands/testnet-setup.ts'
import { ROLES } from '../../core/account.ts'
import { toHex } from '../../core/bytes.ts'
import { genesisToJson } from '../../core/genesis.ts'
import { encodeNodeRegistration } from '../../core/ledger-payloads.ts'
import { signTx, TX_TYPES } from '../../core/transaction.ts'
import { verifyProof } from '../../core/verify-proof.ts'
import type { BatchMaker } from '../helpers/batches.ts'
import type { SteleProcess } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'
import {
  converged,
  getJson,
  layoutTestnet,
  registeredGateway,
  startNodes,
  submitNextBatch,
  urlOf,
} from './network-helpers.ts'

/**
 * Three real `stele node` processes whose genesis names two producers: the third joins the producer set when the
 * authority registers it with the producer role, then produces blocks in its turn, which the other two accept.
 */
describe('a producer added by node-register', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let layout: TestnetLayout
  const procs: SteleProcess[] = []
  let maker: BatchMaker

  beforeAll(async () => {
    dir = await tempDir('stele-net-prod-')
    layout = await layoutTestnet(dir.path, 3)
    // Genesis names nodes 0 and 1 only; node 2 runs with the same genesis as a node of no role yet.
    layout.genesis.producers = layout.genesis.producers.slice(0, 2)
    const json = `${JSON.stringify(genesisToJson(layout.genesis), null, 2)}\n`
    for (const n of layout.nodes) await writeFile(join(n.dataDir, 'node', 'genesis.json'), json)
    procs.push(...(await startNodes(layout, 3)))
    maker = await registeredGateway(layout)
  }, 90_000)

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')))
    await dir?.cleanup()
  })

  const third = () => toHex(layout.nodes[2]!.key.publicKey)
  const producersAt = async (i: number): Promise<string[]> =>
    (await getJson(`${urlOf(layout, i)}/v1/health`)).body?.producers ?? []

  it('produces in turn once registered, and the genesis producers accept its blocks', async () => {
    expect((await submitNextBatch(layout, maker, 0, 3, 15_000)).status).toBe('accepted')
    await converged(layout, [0, 1], 1)
    expect(await producersAt(0)).not.toContain(third())

    const register = signTx(
      {
        type: TX_TYPES.NODE_REGISTER,
        chainId: layout.genesis.chainId,
        signer: layout.authority.publicKey,
        nonce: 0,
        payload: encodeNodeRegistration({
          fee: 0n,
          node: layout.nodes[2]!.key.publicKey,
          roles: ROLES.PRODUCER,
          endpoints: [layout.nodes[2]!.p2pAddr],
        }),
      },
      layout.authority.secretKey,
    )
    const r = await fetch(`${urlOf(layout, 0)}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tx: Buffer.from(register.bytes).toString('base64') }),
    })
    expect(r.status).toBeLessThan(300)
    // Every node, the third included (it syncs once it is a chain node), names it a producer.
    await until(
      async () => (await Promise.all([0, 1, 2].map(producersAt))).every((p) => p.includes(third())),
      {
        what: 'the third node in every node’s producer set',
        timeoutMs: 20_000,
        everyMs: 200,
      },
    )

    // Readings keep coming until a block signed by the third node, with readings in it, is final at all three
    // nodes. Until it is final it may lose its height to another producer's block (fork choice), as CI saw once.
    let produced: number | undefined
    const ids: string[] = []
    let seen = ''
    await until(
      async () => {
        const blocks = await getJson(`${urlOf(layout, 0)}/v1/blocks?limit=20`)
        // Only batches are sent after the registration, so any of its blocks with transactions holds readings.
        const h: number | undefined = blocks.body?.items?.find(
          (b: { producer: string; txCount: number }) => b.producer === third() && b.txCount > 0,
        )?.height
        if (h !== undefined) {
          const at = await Promise.all(
            [0, 1, 2].map(async (i) => ({
              producer: (await getJson(`${urlOf(layout, i)}/v1/blocks/${h}`)).body?.producer,
              final: (await getJson(`${urlOf(layout, i)}/v1/health`)).body?.network?.finalHeight ?? 0,
            })),
          )
          seen = `block ${h}: ${JSON.stringify(at)}`
          if (at.every((x) => x.producer === third() && x.final >= h)) {
            produced = h
            return true
          }
        }
        ids.push(...(await submitNextBatch(layout, maker, maker.seq % 2, 2, 15_000)).ids)
        return false
      },
      {
        what: 'a final block produced by the third node at every node',
        detail: () => seen,
        timeoutMs: 60_000,
        everyMs: 100,
      },
    )
    const head = await converged(layout, [0, 1, 2], produced!)
    for (const i of [1, 2]) {
      const b = await getJson(`${urlOf(layout, i)}/v1/blocks/${produced}`)
      expect(b.body.producer, `node ${i} holds the third node's block`).toBe(third())
    }
    const nodes = await getJson(`${urlOf(layout, 1)}/v1/nodes`)
    const entry = nodes.body.nodes.find((n: { key: string }) => n.key === third())
    expect(entry).toMatchObject({ producer: true, genesisProducer: false, roles: ['producer'] })
    expect(head.height).toBeGreaterThanOrEqual(produced!)

    // A reading in the third node's block: its served proof carries the registration and verifies offline and at
    // another node (docs/protocol.md §6.4).
    let id: string | undefined
    for (const x of ids)
      if ((await getJson(`${urlOf(layout, 1)}/v1/readings/${x}`)).body?.blockHeight === produced) id = x
    expect(id, `a reading in block ${produced}`).toBeDefined()
    const proof = (await getJson(`${urlOf(layout, 1)}/v1/readings/${id}/proof`)).body
    expect(proof.registrations?.length).toBeGreaterThan(0)
    const offline = verifyProof(proof, genesisToJson(layout.genesis))
    expect(offline.error).toBeUndefined()
    expect(offline.block?.height).toBe(produced)
    const posted = await fetch(`${urlOf(layout, 0)}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(proof),
    })
    expect(posted.status).toBe(200)
  }, 90_000)
})
