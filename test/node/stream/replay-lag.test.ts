import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { until } from '../../helpers/wait.ts'
import { expectLaggedThenResumed, pausableWsClient, stalledWsClient } from './clients.ts'
import { type StreamFixture, streamFixture } from './fixture.ts'

/**
 * Issue 10 item 9: a client that resumes from an old cursor and then does not read used to hold its replay (and
 * its connection) open forever. The live rule now applies to replays: once more than the limit piles up for it
 * while the replay waits for its transport, it gets `lagged` with where to resume, and the connection closes.
 */
const LIMIT = 256 * 1024
let fx: StreamFixture

beforeAll(async () => {
  fx = await streamFixture({ maxBufferBytes: LIMIT, lagGraceMs: 1500 })
})
afterAll(async () => {
  await fx?.close()
})

describe('replay of a client that does not read', () => {
  it('cuts it off with lagged once live traffic passes the limit, resumable with no gap and no duplicate', {
    timeout: 60_000,
  }, async () => {
    const start = fx.gw.recordSeq + 1
    // History far larger than what a replay keeps in flight (about 1.2 MB per 3,000 readings).
    for (let i = 0; i < 4; i++) await fx.node.submitBatches([fx.gw.next(3000, 'dev-1', 'temp')])
    const dead = await stalledWsClient(fx.base, '?channels=readings&cursor=0.0.0')
    const paused = await pausableWsClient(fx.base, '?channels=readings&cursor=0.0.0')
    paused.ws.pause()
    await until(() => fx.hub.stats().subscribers === 2, { what: 'two replaying subscribers' })
    expect(fx.hub.stats().live).toBe(0)

    // Live traffic while both replays wait on their transports: more than the limit of it cuts them off.
    const lagged0 = fx.hub.stats().lagged
    const deadline = Date.now() + 30_000
    while (fx.hub.stats().lagged < lagged0 + 2) {
      if (Date.now() > deadline) throw new Error(`only ${fx.hub.stats().lagged - lagged0} replays lagged`)
      await fx.node.submitBatches([fx.gw.next(200, 'dev-1', 'temp')])
    }
    const last = fx.gw.recordSeq
    expect(fx.hub.stats().subscribers).toBe(0)

    // Reading again, the paused client finds a prefix of history, then `lagged` with where to resume.
    const all = Array.from({ length: last - start + 1 }, (_, i) => start + i)
    const got = await expectLaggedThenResumed(fx.base, paused, all)
    expect(got.length).toBeGreaterThan(0)

    await until(() => fx.hub.stats().closing === 0, {
      what: 'the stalled connection to be destroyed',
      timeoutMs: 10_000,
    })
    dead.destroy()
  })
})
