import { MessageChannel } from 'node:worker_threads'
import { toHex } from '../../core/bytes.ts'
import { silentLogger } from '../../core/logger.ts'
import { createHttpNodeClient } from '../../gateway/http-node-client.ts'
import { buildApp } from '../../node/api/app.ts'
import { SteleNode } from '../../node/node.ts'
import { createPortNodeClient } from '../../node/thread/port-node-client.ts'
import { serveNodeApi } from '../../node/thread/serve-node-api.ts'
import { FakeNode } from '../gateway/helpers/fake-node.ts'
import { tempDir } from '../helpers/tmp.ts'
import { nodeApiCompliance } from './node-api.ts'

/** A real node on LevelDB in a temp folder, started, with a way to register gateways and to clean up. */
async function realNode() {
  const dir = await tempDir('stele-compliance-')
  const node = await SteleNode.open({ dataDir: dir.path, logger: silentLogger, blockIntervalMs: 60_000 })
  node.start()
  return {
    node,
    register: async (key: Uint8Array) => {
      await node.registerGateway(toHex(key), 'compliance')
    },
    close: async () => {
      await node.close()
      await dir.cleanup()
    },
  }
}

nodeApiCompliance('node in process', async () => {
  const n = await realNode()
  return { api: n.node, chainId: n.node.genesis.chainId, register: n.register, close: n.close }
})

nodeApiCompliance('HTTP client against a node on an ephemeral port', async () => {
  const n = await realNode()
  const app = await buildApp({ node: n.node, logger: false })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    api: createHttpNodeClient({ url, timeoutMs: 5000 }),
    chainId: n.node.genesis.chainId,
    register: n.register,
    close: async () => {
      await app.close()
      await n.close()
    },
  }
})

nodeApiCompliance('MessagePort client against a node served on the other end (the node thread)', async () => {
  const n = await realNode()
  const { port1, port2 } = new MessageChannel()
  const server = serveNodeApi(n.node, port1)
  const api = createPortNodeClient(port2)
  return {
    api,
    chainId: n.node.genesis.chainId,
    register: n.register,
    close: async () => {
      api.close()
      server.close()
      await n.close()
    },
  }
})

nodeApiCompliance('test fake (test/gateway/helpers/fake-node.ts)', async () => {
  const fake = new FakeNode()
  return {
    api: fake,
    chainId: fake.chainId,
    register: async (key) => fake.register(key),
    close: async () => undefined,
  }
})
