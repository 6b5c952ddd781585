import { toHex } from '../../core/bytes.ts'
import { silentLogger } from '../../core/logger.ts'
import type { Timers } from '../../core/timers.ts'
import { buildApp } from '../../node/api/app.ts'
import { type NodeOptions, SteleNode } from '../../node/node.ts'
import type { HubInit } from '../../node/stream/hub.ts'
import { BatchMaker } from './batches.ts'
import { tempDir } from './tmp.ts'

export interface NodeFixtureOptions {
  blockIntervalMs?: number
  timers?: Timers
  stream?: HubInit
  recordsPerSecPerGateway?: number
}

/** A real, started node on real LevelDB in a temp folder, with one registered gateway. */
export async function nodeFixture(opts: NodeFixtureOptions = {}) {
  const dir = await tempDir('stele-node-')
  const open = async (): Promise<SteleNode> => {
    const o: NodeOptions = { dataDir: dir.path, logger: silentLogger, blockIntervalMs: 60_000, ...opts }
    const n = await SteleNode.open(o)
    n.start()
    return n
  }
  const node = await open()
  const gw = new BatchMaker(node.genesis.chainId)
  await node.registerGateway(toHex(gw.key.publicKey), 'test gateway')
  return {
    node,
    gw,
    dir,
    async reopen() {
      await node.close()
      return open()
    },
    async close() {
      await node.close().catch(() => undefined)
      await dir.cleanup()
    },
  }
}

/** nodeFixture with the node's HTTP app built on it, answered through fastify's inject; close closes both. */
export async function appFixture(opts: NodeFixtureOptions = {}) {
  const fx = await nodeFixture(opts)
  const app = await buildApp({ node: fx.node, logger: false })
  return {
    ...fx,
    app,
    /** GET `url`: the status and the JSON body. */
    async get(url: string) {
      const r = await app.inject({ method: 'GET', url })
      return { status: r.statusCode, body: r.json() }
    },
    async close() {
      await app.close()
      await fx.close()
    },
  }
}
