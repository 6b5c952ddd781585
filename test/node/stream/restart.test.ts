import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../core/logger.ts'
import { buildApp } from '../../../node/api/app.ts'
import { SteleNode } from '../../../node/node.ts'
import { nodeFixture } from '../../helpers/node.ts'
import { type Ev, wsClient } from './clients.ts'

const fx = await nodeFixture()
afterAll(() => fx.close())

const seqs = (events: Ev[]) =>
  events.filter((e) => e.type === 'reading').map((e) => (e['reading'] as { seq: number }).seq)

async function serve(node: SteleNode) {
  const app = await buildApp({ node, logger: false })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  return { base, close: () => app.close() }
}

describe('resume across a node restart', () => {
  it('takes a cursor issued before the restart; acceptance numbers and confirmations carry on', async () => {
    let node = fx.node
    let http = await serve(node)
    const { c } = await wsClient(http.base, '?channels=readings,confirmations')
    await node.submitBatches([fx.gw.next(4, 'dev-1', 'temp'), fx.gw.next(3, 'dev-1', 'temp')])
    await c.waitFor((e) => seqs(e).length === 7, 'seven readings')
    const cursor = c.events.find((e) => e.type === 'reading' && e.cursor.startsWith('1.2.'))!.cursor
    // Accepted while nobody watches: batch 2 is pending, batch 3 too, and the node stops.
    await node.submitBatches([fx.gw.next(2, 'dev-1', 'temp')])
    await http.close()
    await node.close()

    node = await SteleNode.open({
      dataDir: fx.dir.path,
      logger: silentLogger,
      blockIntervalMs: 60_000,
      stream: { heartbeatMs: 0, statusCheckMs: 0 },
    })
    node.start()
    try {
      http = await serve(node)
      await node.stream.ready
      expect(node.stream.stats().cursor).toEqual({ seq: 3, index: 1, height: 0 })
      const again = await wsClient(http.base, `?channels=readings,confirmations&cursor=${cursor}`)
      await again.c.waitFor((e) => e.some((x) => x.type === 'live'), 'the replay')
      expect(seqs(again.c.events)).toEqual([4, 5, 6, 7, 8, 9])
      await node.submitBatches([fx.gw.next(1, 'dev-1', 'temp')])
      await node.producer.produce()
      await again.c.waitFor((e) => e.some((x) => x.type === 'confirmation'), 'the confirmation')
      const live = again.c.events.filter((e) => e.type === 'reading').at(-1)!
      expect(live.cursor).toBe('4.0.0')
      // Batches accepted before the restart are confirmed too: the hub read them from the mempool.
      const batches = again.c.of('confirmation')[0]!['batches'] as { records: number }[]
      expect(batches.map((b) => b.records)).toEqual([4, 3, 2, 1])
      await http.close()
    } finally {
      await node.close()
    }
  })
})
