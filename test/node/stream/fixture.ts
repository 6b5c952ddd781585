import type { FastifyInstance } from 'fastify'
import type { SubmittedBatch } from '../../../core/node-api.ts'
import type { StampedRecord } from '../../../core/record.ts'
import { buildApp } from '../../../node/api/app.ts'
import type { HubOptions, StreamHub } from '../../../node/stream/hub.ts'
import { acquireHub, releaseHub } from '../../../node/stream/registry.ts'
import type { BatchMaker } from '../../helpers/batches.ts'
import { nodeFixture } from '../../helpers/node.ts'

export interface StreamFixture extends Awaited<ReturnType<typeof nodeFixture>> {
  hub: StreamHub
  app: FastifyInstance
  /** http://127.0.0.1:<port> */
  base: string
  close(): Promise<void>
}

/**
 * A real node on LevelDB with the full HTTP app listening on an ephemeral loopback port. The hub is acquired first
 * so the test's options (limits, clock; heartbeats and the status timer off unless asked) are the ones used.
 */
export async function streamFixture(hubOpts: HubOptions = {}): Promise<StreamFixture> {
  const fx = await nodeFixture()
  const hub = acquireHub(fx.node, { heartbeatMs: 0, statusCheckMs: 0, ...hubOpts })
  const app = await buildApp({ node: fx.node, logger: false })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    ...fx,
    hub,
    app,
    base,
    async close() {
      await app.close()
      releaseHub(fx.node)
      await fx.close()
    },
  }
}

/** One batch of records from several devices and sensors. */
export function mixedBatch(gw: BatchMaker, parts: [number, string, string][]): SubmittedBatch {
  const records: StampedRecord[] = parts.flatMap(([n, device, sensor]) => gw.records(n, device, sensor))
  const s = gw.seal(records)
  return { tx: s.tx.bytes, records: s.records }
}
