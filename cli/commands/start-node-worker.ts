/** The node's thread of `stele start` (see start-node-thread.ts): opens the node when asked and serves it. */
import { writeSync } from 'node:fs'
import { workerData } from 'node:worker_threads'
import pino, { type Logger } from 'pino'
import { portRpc } from '../../node/thread/port-rpc.ts'
import { serveNodeApi } from '../../node/thread/serve-node-api.ts'
import type { GatewayStatusSource } from '../gateway-status.ts'
import { createLogger } from '../log.ts'
import type { StartedNode } from './start-node.ts'
import { startLocalNode } from './start-node.ts'
import type { NodeThreadData, NodeThreadOpen } from './start-node-thread.ts'

const data = workerData as NodeThreadData

/**
 * Lines go straight to the process's stdout (fd 1) with one synchronous write each, like the main thread's: a
 * worker's own process.stdout is relayed through the main thread, and a crash would lose its last lines.
 */
function threadLogger(log: NodeThreadData['log']): Logger {
  if (log === 'silent') return pino({ level: 'silent' })
  const stream = {
    isTTY: log.tty,
    write: (line: string) => {
      writeSync(1, line)
      return true
    },
  } as unknown as NodeJS.WritableStream & { isTTY: boolean }
  return createLogger({ json: log.json, stream })
}

const logger = threadLogger(data.log)
let node: StartedNode | undefined
let served: { close(): void } | undefined

const control = portRpc(
  data.control,
  {
    async open(o: NodeThreadOpen) {
      node = await startLocalNode(o.init, o.gatewayStatus ? gatewayStatus : undefined, logger)
      served = serveNodeApi(node.api, data.nodeApi)
      return { url: node.url }
    },
    progress: () => node?.progress(),
    produce: () => node?.produce(),
    async close() {
      served?.close()
      await node?.close()
    },
  },
  'the main thread',
  true, // the thread lives until the main thread ends it
)

/** The gateway's status lives in the main thread: asked for at each request or scrape. */
const gatewayStatus: GatewayStatusSource = {
  status: () => control.call('gatewayStatus'),
  deadLetters: () => control.call('deadLetters'),
}
