import type { MessagePort } from 'node:worker_threads'
import type { NodeApi } from '../../core/node-api.ts'
import { type PackedBatches, unpackBatches } from './port-node-client.ts'
import { portRpc } from './port-rpc.ts'

/** Serves `node` on `port` for createPortNodeClient on the other end; returns a way to stop. */
export function serveNodeApi(node: NodeApi, port: MessagePort): { close(): void } {
  return portRpc(
    port,
    {
      info: () => node.info(),
      gatewayTip: (gateway: Uint8Array) => node.gatewayTip(gateway),
      submitBatches: (p: PackedBatches) => node.submitBatches(unpackBatches(p)),
    },
    'the gateway thread',
  )
}
