/**
 * `stele start` with the node in its own thread: LevelDB, block production, the HTTP API, the stream hub, the
 * contracts and the republisher run in a worker (start-node-worker.ts) while the broker, the gateway and the
 * simulated fleet keep the main thread, so the two cores both work. The gateway reaches the node through a
 * MessagePort NodeApi (node/thread/port-node-client.ts); a second port carries control (open, progress, produce,
 * close) one way and the gateway's status, for the node's /v1/gateway and /metrics, the other.
 */
import { once } from 'node:events'
import { MessageChannel, type Worker } from 'node:worker_threads'
import { SteleError } from '../../core/errors.ts'
import type { NodeApi } from '../../core/node-api.ts'
import { tsWorker } from '../../core/ts-worker.ts'
import { createPortNodeClient } from '../../node/thread/port-node-client.ts'
import { portRpc } from '../../node/thread/port-rpc.ts'
import type { GatewayStatusSource } from '../gateway-status.ts'
import type { NodeProgress } from '../summary.ts'
import type { StartNodeInit } from './start-node.ts'

/** How the node's thread logs: like the main thread's logger (JSON or one line per event), or not at all. */
export type ThreadLog = { json: boolean; tty: boolean } | 'silent'

/** What the worker receives (workerData). */
export interface NodeThreadData {
  log: ThreadLog
  control: MessagePort
  nodeApi: MessagePort
}
type MessagePort = import('node:worker_threads').MessagePort

/** What `open` sends: the node's settings, and whether the main thread serves gatewayStatus and deadLetters. */
export interface NodeThreadOpen {
  init: StartNodeInit
  gatewayStatus: boolean
}

export interface NodeThread {
  url: string
  api: NodeApi
  progress(): Promise<NodeProgress>
  produce(): Promise<void>
  /** Closes the node (its data written and closed) and ends the thread. */
  close(): Promise<void>
  /** Resolves with what happened if the thread ends on its own (a crash): the caller must not go on half alive. */
  readonly failed: Promise<Error>
}

export interface SpawnedNodeThread {
  /** Opens the node in the thread; rejects (and ends the thread) if it cannot be opened. */
  open(init: StartNodeInit, gateway?: GatewayStatusSource): Promise<NodeThread>
  /** Ends the thread without opening a node (start-up failed elsewhere). */
  close(): Promise<void>
}

const ENTRY = new URL('./start-node-worker.ts', import.meta.url)

/**
 * Starts the thread at once, so it loads the node's modules while this thread starts the broker and the
 * gateway; the node opens when `open` is called.
 */
export function spawnNodeThread(opts: { log: ThreadLog; entry?: URL }): SpawnedNodeThread {
  const control = new MessageChannel()
  const nodeApi = new MessageChannel()
  let gateway: GatewayStatusSource | undefined
  const source = (): GatewayStatusSource => {
    if (!gateway) throw new SteleError('STELE_UNAVAILABLE', 'no gateway in this process')
    return gateway
  }
  const rpc = portRpc(
    control.port1,
    {
      // What the HTTP routes would serialise anyway: plain JSON data crosses the port.
      gatewayStatus: async () => JSON.parse(JSON.stringify(await source().status())),
      deadLetters: async () => JSON.parse(JSON.stringify(await source().deadLetters())),
    },
    'the node thread',
  )
  const api = createPortNodeClient(nodeApi.port1)
  const data: NodeThreadData = { log: opts.log, control: control.port2, nodeApi: nodeApi.port2 }
  const worker: Worker = tsWorker(opts.entry ?? ENTRY, {
    workerData: data,
    transferList: [control.port2, nodeApi.port2],
  })
  let closing = false
  const failed = new Promise<Error>((resolve) => {
    worker.on('error', (err) => {
      if (!closing)
        resolve(new SteleError('STELE_INTERNAL', `the node thread failed: ${err.message}`, { cause: err }))
    })
    worker.on('exit', (code) => {
      if (!closing) resolve(new SteleError('STELE_INTERNAL', `the node thread exited with code ${code}`))
    })
  })
  const end = async () => {
    if (closing) return
    closing = true
    api.close()
    rpc.close()
    await worker.terminate()
  }
  return {
    async open(init, source) {
      gateway = source
      try {
        // A thread that dies while opening ends the wait too (its error is the one to report).
        const { url } = await Promise.race([
          rpc.call<{ url: string }>('open', {
            init,
            gatewayStatus: source !== undefined,
          } satisfies NodeThreadOpen),
          failed.then((e) => Promise.reject(e)),
        ])
        return {
          url,
          api,
          progress: () => rpc.call<NodeProgress>('progress'),
          produce: () => rpc.call<void>('produce'),
          async close() {
            if (closing) return
            // The node closes in its thread (blocks produced, LevelDB closed); only then is the thread ended.
            // A thread already gone has nothing left to close.
            await Promise.race([rpc.call('close').catch(() => undefined), once(worker, 'exit')])
            await end()
          },
          failed,
        }
      } catch (e) {
        await end()
        throw e
      }
    },
    close: end,
  }
}
