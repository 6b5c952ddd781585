import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contractCommand } from '../../cli/commands/contract.ts'
import { writeWalletKey } from '../../cli/wallet-key.ts'
import { buildApp } from '../../node/api/app.ts'
import { tempDir } from '../helpers/tmp.ts'
import { COUNTER, contractNode, user } from '../node/executor/chain-fixture.ts'

type Fx = Awaited<ReturnType<typeof contractNode>>
let fx: Fx
let app: FastifyInstance
let url: string
let dir: Awaited<ReturnType<typeof tempDir>>
let keyFile: string

beforeAll(async () => {
  fx = await contractNode()
  app = await buildApp({ node: fx.node, logger: false, failureLimit: false })
  url = await app.listen({ host: '127.0.0.1', port: 0 })
  dir = await tempDir('stele-contract-cli-')
  keyFile = join(dir.path, 'user.key')
  await writeWalletKey(keyFile, user)
})
afterAll(async () => {
  await app.close()
  await fx.close()
  await dir.cleanup()
})

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const code = await contractCommand([...argv, '--node', url, '--key', keyFile], (s) => lines.push(s))
  return { code, out: lines.join('\n') }
}

/** A proxy in front of the node that rewrites readings pages: a node lying about the inputs. */
async function lyingProxy(): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const r = await fetch(new URL(req.url ?? '/', url))
    let body = Buffer.from(await r.arrayBuffer())
    if (req.url?.includes('/readings?'))
      body = Buffer.from(body.toString('utf8').replace(/"value":-?[0-9.]+/, '"value":99'))
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' })
    res.end(body)
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

describe('stele contract against a node over HTTP', () => {
  it('deploys, lists, calls, shows results and events, and replays a result from chain data alone', async () => {
    const { writeFile } = await import('node:fs/promises')
    const file = join(dir.path, 'counter.js')
    await writeFile(file, COUNTER)
    const deployed = await cli('deploy', file, '--name', 'counter', '--json')
    expect(deployed.code).toBe(0)
    const { contract, codeCid } = JSON.parse(deployed.out)
    expect(codeCid).toMatch(/^bafkrei/)
    await fx.block()
    expect((await cli('ls')).out).toContain(`${contract}  counter`)

    await fx.node.submitBatches([fx.gw.next(3)])
    await fx.block() // readings: the executor runs and submits
    await fx.block() // the result sealed
    expect((await cli('call', contract, 'bump', '--args', '{"by":10}')).code).toBe(0)
    await fx.block() // the call
    await fx.block() // its result

    const show = JSON.parse((await cli('show', contract, '--json')).out)
    expect(show).toMatchObject({ id: contract, name: 'counter', codeCid, results: 2 })
    expect(show.state.n).toBe(13)
    const results = JSON.parse((await cli('results', contract, '--json')).out)
    expect(results.map((r: { status: string }) => r.status)).toEqual(['ok', 'ok'])
    const events = await cli('events', contract)
    expect(events.out).toMatch(/bumped {2}\{"by":10\}/)
    expect(events.out).toMatch(/hot/)

    // Both results, the block run (readings rebuilt and checked against their batch) and the call, replay here.
    const [callResult, blockResult] = results as { hash: string; stateRootAfter: string }[]
    for (const r of [blockResult!, callResult!]) {
      const replay = await cli('replay', r.hash, '--json')
      expect(replay.code).toBe(0)
      const j = JSON.parse(replay.out)
      expect(j.match).toBe(true)
      expect(j.recomputed).toEqual(j.claimed)
      expect(j.recomputed.stateRootAfter).toBe(r.stateRootAfter)
    }
    expect((await cli('replay', blockResult!.hash)).out).toMatch(/^MATCH: /)

    // A node that changes a reading's value cannot make the replay run on it: the records root refuses it.
    const proxy = await lyingProxy()
    try {
      await expect(
        contractCommand(['replay', blockResult!.hash, '--node', proxy.url], () => {}),
      ).rejects.toMatchObject({ code: 'STELE_PROOF_INVALID' })
    } finally {
      proxy.server.close()
    }
  }, 60_000)

  it('refuses code that does not load before uploading it, and an unknown subcommand', async () => {
    const { writeFile } = await import('node:fs/promises')
    const bad = join(dir.path, 'bad.js')
    await writeFile(bad, 'export function onReading( {')
    await expect(cli('deploy', bad)).rejects.toMatchObject({ code: 'STELE_CONTRACT_INVALID' })
    await expect(cli('frobnicate')).rejects.toMatchObject({ code: 'STELE_CONFIG' })
  })
})
