import type { FastifyInstance } from 'fastify'
import type { SubmittedBatch } from '../../../core/node-api.ts'
import type { StampedRecord } from '../../../core/record.ts'
import { backgroundTimers } from '../../../core/timers.ts'
import { buildApp } from '../../../node/api/app.ts'
import type { HubInit, StreamHub } from '../../../node/stream/hub.ts'
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
 * A real node on LevelDB with the full HTTP app listening on an ephemeral loopback port, its hub built with the
 * test's options (limits; heartbeats and the status timer off unless asked) and, when given, the node's clock.
 */
export async function streamFixture(hubOpts: HubInit & { now?: () => number } = {}): Promise<StreamFixture> {
  const { now, ...stream } = hubOpts
  const fx = await nodeFixture({
    stream: { heartbeatMs: 0, statusCheckMs: 0, ...stream },
    ...(now ? { timers: { ...backgroundTimers, now } } : {}),
  })
  const hub = fx.node.stream
  const app = await buildApp({ node: fx.node, logger: false })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    ...fx,
    hub,
    app,
    base,
    async close() {
      await app.close()
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
