import { type ClientRequest, type IncomingMessage, request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { until } from '../../helpers/wait.ts'
import {
  expectLaggedThenResumed,
  pausableWsClient,
  readingSeqs,
  sseClient,
  stalledWsClient,
  wsClient,
} from './clients.ts'
import { type StreamFixture, streamFixture } from './fixture.ts'

const LIMIT = 256 * 1024
let fx: StreamFixture

beforeAll(async () => {
  fx = await streamFixture({ maxBufferBytes: LIMIT, lagGraceMs: 1500 })
})
afterAll(async () => {
  await fx?.close()
})

/** An SSE request whose response is never read. */
function stalledSse(): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request(`${fx.base}/v1/stream/sse`, (res) => {
      res.pause()
      resolve({ req, res })
    })
    req.on('error', () => undefined)
    req.once('error', reject)
    req.end()
  })
}

describe('backpressure', () => {
  it('cuts off clients that stop reading with a lagged event, keeps others whole and the hub bounded', async () => {
    const healthyWs = (await wsClient(fx.base, '?channels=readings')).c
    const healthySse = (await sseClient(fx.base, '?channels=readings')).c
    // Never reads: a raw socket paused after the handshake, and an SSE response never consumed.
    const deadWs = await stalledWsClient(fx.base, '?channels=readings')
    const deadSse = await stalledSse()
    // Stops reading, and later reads everything the server sent it: it must end with the lagged event.
    const paused = await pausableWsClient(fx.base, '?channels=readings')
    await until(() => fx.hub.stats().live === 5, { what: 'five live subscribers' })
    paused.ws.pause()

    const start = fx.gw.recordSeq + 1
    // A batch five times the limit: a client that has taken what it was sent takes it whole, in frames.
    await fx.node.submitBatches([fx.gw.next(3000, 'dev-1', 'temp')])
    let peakHeld = 0
    const deadline = Date.now() + 20_000
    while (fx.hub.stats().lagged < 3) {
      if (Date.now() > deadline) throw new Error(`only ${fx.hub.stats().lagged} clients lagged`)
      // ~100 KB frames: well under the limit, so a client that keeps up is never near it.
      await fx.node.submitBatches([fx.gw.next(200, 'dev-1', 'temp')])
      peakHeld = Math.max(peakHeld, fx.hub.stats().bufferedBytes)
    }
    const last = fx.gw.recordSeq
    const stats = fx.hub.stats()
    expect(stats.lagged).toBe(3)
    expect(stats.subscribers).toBe(2)
    // Bounded by the hub's own accounting: no subscriber ever held more than the limit plus the batch at hand
    // (3,000 readings, under 1.5 MB), all of them together never more than five times that, whatever was sent.
    const bound = LIMIT + 1_500_000
    expect(stats.peakBytes).toBeLessThanOrEqual(bound)
    expect(peakHeld).toBeLessThanOrEqual(5 * bound)
    expect((last - start + 1) * 400).toBeGreaterThan(4 * LIMIT)

    // The healthy clients got every reading, once, in order.
    const all = Array.from({ length: last - start + 1 }, (_, i) => start + i)
    await healthyWs.waitFor((e) => readingSeqs(e).at(-1) === last, 'WS client to catch up')
    await healthySse.waitFor((e) => readingSeqs(e).at(-1) === last, 'SSE client to catch up')
    expect(readingSeqs(healthyWs.events)).toEqual(all)
    expect(readingSeqs(healthySse.events)).toEqual(all)

    // The paused client, reading again, finds everything up to the cut, then `lagged` with where to resume.
    await expectLaggedThenResumed(fx.base, paused, all)

    // The clients that never read are destroyed after the grace time; what they held is released.
    await until(() => fx.hub.stats().closing === 0, {
      what: 'stalled connections to be destroyed',
      timeoutMs: 10_000,
    })
    expect(fx.hub.stats().bufferedBytes).toBeLessThanOrEqual(2 * bound)
    deadWs.destroy()
    deadSse.req.destroy()
  })
})
