import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { backoffDelay } from '../../core/backoff.ts'
import { generateKeyPair } from '../../core/ed25519.ts'
import { SteleError } from '../../core/errors.ts'
import type { NodeApi } from '../../core/node-api.ts'
import { createRandom } from '../../device-sim/random.ts'
import { Batcher } from '../../gateway/batcher.ts'
import { createHlc } from '../../gateway/hlc.ts'
import { Outbox } from '../../gateway/outbox.ts'
import { Submitter } from '../../gateway/submitter.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'
import { FakeNode } from './helpers/fake-node.ts'
import { captureLogger } from './helpers/logs.ts'
import { ManualTimers } from './helpers/manual-timers.ts'

describe('backoffDelay', () => {
  it('doubles from initialMs up to maxMs, jittered between half and all of it', () => {
    const o = { initialMs: 100, maxMs: 1000 }
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, o, () => 0))).toEqual([50, 100, 200, 400, 500, 500])
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, o, () => 0.999999))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ])
  })
})

describe('submitter', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let outbox: Outbox
  let batcher: Batcher
  let node: FakeNode
  let timers: ManualTimers
  let submitter: Submitter | undefined
  const key = generateKeyPair()
  let logger: ReturnType<typeof captureLogger>

  beforeEach(async () => {
    dir = await tempDir('stele-submit-')
    outbox = await Outbox.open({ path: join(dir.path, 'outbox') })
    batcher = new Batcher({
      key,
      outbox,
      state: {
        chainId: 'test-chain',
        batchSeq: 0,
        recordSeq: 0,
        prevHash: '0'.repeat(64),
        hlc: { time: 0, logical: 0 },
      },
      hlc: createHlc({ now: () => 1_700_000_000_000 }),
      maxRecords: 1, // every push seals a batch of one at once
      timers: new ManualTimers(),
    })
    node = new FakeNode({ register: [key.publicKey] })
    timers = new ManualTimers()
    logger = captureLogger()
  })
  afterEach(async () => {
    await submitter?.stop()
    submitter = undefined
    await outbox.close()
    await dir.cleanup()
  })

  async function batches(n: number) {
    const start = batcher.stats().lastRecordSeq
    for (let i = 1; i <= n; i++)
      await batcher.push([{ device: 'd1', sensor: 's', value: i, deviceSeq: start + i, source: 'sim' }])
  }

  function start(api: NodeApi = node, maxBatchesPerCall = 4) {
    submitter = new Submitter({
      node: api,
      outbox,
      gateway: key.publicKey,
      sequenceState: () => batcher.sequenceState(),
      logger,
      timers,
      random: createRandom(7),
      maxBatchesPerCall,
      backoff: { initialMs: 100, maxMs: 2000 },
    })
    submitter.start()
    return submitter
  }
  const drained = () => until(() => outbox.depth().batches === 0, { what: 'outbox drained' })
  const inBackoff = (s: Submitter) =>
    until(() => s.stats().state === 'backoff' && timers.pending === 1, { what: 'submitter in backoff' })

  it('drains in order, several batches per call', async () => {
    await batches(10)
    start()
    await drained()
    expect(node.calls).toBe(3)
    expect(node.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    await batches(2) // later batches are picked up as they are written
    await drained()
    expect(node.records.length).toBe(12)
  })

  it('retries with exponential backoff while the node is away, then drains', async () => {
    await batches(3)
    node.down = true
    const s = start()
    const delays: number[] = []
    for (let i = 0; i < 5; i++) {
      await inBackoff(s)
      delays.push(timers.requested.at(-1)!)
      timers.fireNext()
    }
    delays.forEach((d, i) => {
      const cap = Math.min(2000, 100 * 2 ** i)
      expect(d).toBeGreaterThanOrEqual(cap / 2)
      expect(d).toBeLessThanOrEqual(cap)
    })
    expect(s.stats()).toMatchObject({ node: 'down', lastError: { code: 'STELE_UNAVAILABLE' } })
    expect(logger.lines.filter((l) => l.msg?.includes('unreachable')).length).toBe(1)
    await inBackoff(s)
    node.down = false
    timers.fireNext()
    await drained()
    expect(node.records.length).toBe(3)
    expect(s.stats().node).toBe('up')
  })

  it('is idempotent: a batch whose answer was lost is resent, accepted as duplicate, stored once', async () => {
    await batches(2)
    node.loseNextAnswer = true
    const s = start()
    await inBackoff(s)
    expect(node.records.length).toBe(2) // applied, but we never heard
    expect(outbox.depth().batches).toBe(2)
    timers.fireNext()
    await drained()
    expect(node.duplicates).toBe(2)
    expect(node.records.length).toBe(2)
    expect(s.stats()).toMatchObject({ duplicates: 2, batches: 2, records: 2 })
  })

  it('on start, drops batches the node already holds instead of resending them', async () => {
    await batches(5)
    await node.submitBatches(await outbox.peek(3)) // the node got 1-3 before a gateway restart
    start()
    await drained()
    expect(node.duplicates).toBe(0)
    expect(node.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5])
  })

  it('on a gap past what we hold, drops what the node has and sends on at once', async () => {
    await batches(4)
    let gapped = false
    const api: NodeApi = {
      info: () => node.info(),
      gatewayTip: (g) => node.gatewayTip(g),
      async submitBatches(b) {
        if (!gapped) {
          // another replica already delivered 1-2 to this node; it tells us to resume at 3
          gapped = true
          await node.submitBatches(b.slice(0, 2))
          throw new SteleError('STELE_BATCH_GAP', 'resume at 3', { details: { expectedSeq: 3 } })
        }
        return node.submitBatches(b)
      },
    }
    const s = start(api)
    await drained()
    expect(node.records.map((r) => r.seq)).toEqual([1, 2, 3, 4])
    expect(s.stats().retries).toBe(0)
  })

  it('says loudly, once, when the node is behind what we hold, and keeps the batches', async () => {
    await batches(2)
    const s = start()
    await drained()
    node.chains.clear() // the node lost this gateway's batches
    await batches(2)
    await inBackoff(s)
    timers.fireNext()
    await inBackoff(s)
    const loud = logger.lines.filter((l) => l.level === 'error' && l.msg?.includes('no longer holds'))
    expect(loud.length).toBe(1)
    expect(outbox.depth()).toMatchObject({ batches: 2, firstSeq: 3 })
    expect(s.stats().lastError?.code).toBe('STELE_BATCH_GAP')
  })

  it('when the gateway is unknown, says how to register it once and keeps retrying until it is', async () => {
    node.registered.clear()
    await batches(1)
    const s = start()
    await inBackoff(s)
    timers.fireNext()
    await inBackoff(s)
    expect(s.stats()).toMatchObject({ registered: false, lastError: { code: 'STELE_GATEWAY_UNKNOWN' } })
    const told = logger.lines.filter((l) => l.msg?.includes('register its key'))
    expect(told.length).toBe(1)
    node.register(key.publicKey)
    timers.fireNext()
    await drained()
    expect(s.stats().registered).toBe(true)
  })
})
