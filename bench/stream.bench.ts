// Live stream delivery: events/s to 1, 100 and 1,000 WebSocket subscribers on loopback beside a raw `ws` server
// broadcasting the same pre-encoded frame to as many clients (the delivery runs hand accepted batches to the stream
// as ingest does, so they time the stream alone); node RSS with 1,000 subscribers, one of them stalled; and the
// node's full accept path with and without a live subscriber. Clients run in a child process (this file with
// --clients) so the node's RSS and CPU are its own.
//   node --import tsx bench/stream.bench.ts [--quick]
import { type ChildProcess, fork } from 'node:child_process'
import type { Socket } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import { toHex } from '../core/bytes.ts'
import { silentLogger } from '../core/logger.ts'
import type { StampedRecord } from '../core/record.ts'
import { buildApp } from '../node/api/app.ts'
import { AcceptedBatch } from '../node/chain/accepted-batch.ts'
import { groupByDevice } from '../node/chain/device-groups.ts'
import { SteleNode } from '../node/node.ts'
import { frame, readingEvent } from '../node/stream/events.ts'
import { BatchMaker } from '../test/helpers/batches.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { until } from '../test/helpers/wait.ts'
import { stalledWsClient } from '../test/node/stream/clients.ts'
import { printTable, type Row } from './table.ts'

const PER_FRAME = 100 // readings per accepted batch, so per frame
const WINDOW = 32 // frames a publisher may be ahead of its slowest (live) client
const DEVICES = 10 // devices per frame, for filtered subscribers
const LIMIT = 4 * 1024 * 1024 // the hub's default per-subscriber limit

// ---------------------------------------------------------------- client process
async function clientProcess(): Promise<void> {
  let counts: number[] = []
  let sockets: (WebSocket | Socket)[] = []
  let expected = 0
  let epoch = 0
  let reported = -1
  const isReading = (d: Buffer) => d[3] === 0x74 && d.subarray(0, 18).toString() === '[{"type":"reading"'
  const report = setInterval(() => {
    let min = Number.POSITIVE_INFINITY
    for (const c of counts) if (c < min) min = c
    if (counts.length > 0 && min !== reported) {
      reported = min
      process.send!({ epoch, progress: min, done: min >= expected })
    }
  }, 5)
  process.on('disconnect', () => process.exit(0))
  process.on(
    'message',
    async (m: { cmd: string; urls?: string[]; stalled?: string; frames?: number; epoch?: number }) => {
      if (m.cmd === 'connect') {
        const urls = m.urls!
        counts = new Array(urls.length).fill(0)
        for (let i = 0; i < urls.length; i += 50)
          await Promise.all(urls.slice(i, i + 50).map((u, j) => open(u, i + j)))
        if (m.stalled) sockets.push(await stalledWsClient(m.stalled, '?channels=readings'))
        process.send!({ connected: true })
      } else if (m.cmd === 'expect') {
        expected = m.frames!
        epoch = m.epoch!
        counts.fill(0)
        reported = -1
        process.send!({ expecting: epoch })
      } else if (m.cmd === 'close') {
        for (const s of sockets) s instanceof WebSocket ? s.terminate() : s.destroy()
        sockets = []
        counts = []
        process.send!({ closed: true })
      } else if (m.cmd === 'exit') {
        clearInterval(report)
        process.exit(0)
      }
    },
  )
  function open(url: string, i: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.on('message', (d: Buffer) => {
        if (isReading(d)) counts[i]!++
      })
      ws.once('open', () => resolve())
      ws.once('error', reject)
      sockets.push(ws)
    })
  }
}

// ---------------------------------------------------------------- driver (the node's process)
class Clients {
  readonly child: ChildProcess
  progress = 0
  done = false
  /** Progress reports are tagged with the run they belong to: a late report of the previous run is ignored. */
  private epoch = 0
  private wake: (() => void)[] = []
  constructor() {
    this.child = fork(new URL(import.meta.url).pathname, ['--clients'], { execArgv: ['--import', 'tsx'] })
    this.child.on('message', (m: { epoch?: number; progress?: number; done?: boolean }) => {
      if (m.progress !== undefined && m.epoch === this.epoch) {
        this.progress = m.progress
        this.done = m.done === true
      }
      for (const w of this.wake.splice(0)) w()
    })
  }
  private next(): Promise<void> {
    return new Promise((r) => this.wake.push(r))
  }
  /** Sends a command; resolves on the reply that carries `key`. */
  call(msg: object, key: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const on = (m: object) => key in m && this.child.off('message', on) && resolve()
      this.child.on('message', on)
      this.child.send(msg)
    })
  }
  /** Opens one reading client per URL, and one that never reads on the node at `stalled` (its HTTP base). */
  connect(urls: string[], stalled?: string) {
    return this.call({ cmd: 'connect', urls, stalled }, 'connected')
  }
  /** Resets the counts; resolves once the client process has, so no frame sent after it is lost to the reset. */
  expect(frames: number) {
    this.progress = 0
    this.done = false
    return this.call({ cmd: 'expect', frames, epoch: ++this.epoch }, 'expecting')
  }
  close() {
    return this.call({ cmd: 'close' }, 'closed')
  }
  /** Flow control for both servers alike: wait while the slowest live client is WINDOW frames behind. */
  async window(sent: number): Promise<void> {
    while (sent - this.progress > WINDOW) await this.next()
  }
  async finished(): Promise<void> {
    while (!this.done) await this.next()
  }
}

const quick = process.argv.includes('--quick')
const scale = quick ? 0.25 : 1

/** Accepted batches of PER_FRAME readings from DEVICES devices, as ingest emits them, for any acceptance number. */
function fakeBatches(chainId: string) {
  const gw = new BatchMaker(chainId)
  const per = PER_FRAME / DEVICES
  const records: StampedRecord[] = Array.from({ length: DEVICES }, (_, d) =>
    gw.records(per, `dev-${d}`),
  ).flat()
  const leaves = Buffer.from(records.map((_, i) => i.toString(16).padStart(64, '0')).join(''), 'hex')
  const gateway = toHex(gw.key.publicKey)
  const byDevice = groupByDevice(records)
  return (seq: number) => new AcceptedBatch(records, byDevice, leaves, 'ab'.repeat(32), gateway, seq)
}

async function openNode() {
  const dir = await tempDir('bench-stream-')
  const node = await SteleNode.open({
    dataDir: dir.path,
    logger: silentLogger,
    blockIntervalMs: 3_600_000,
    recordsPerSecPerGateway: 1e9,
    stream: { heartbeatMs: 0 },
  })
  node.start()
  const hub = node.stream
  const app = await buildApp({ node, logger: false })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `${base.replace('http', 'ws')}/v1/stream?channels=readings`
  const close = () => app.close().then(() => node.close().then(() => dir.cleanup()))
  return { node, hub, app, base, url, close }
}

/** Events/s through the node's stream (the hub fed accepted batches directly) and peak RSS while doing it. */
async function steleDelivery(
  clients: Clients,
  run: { n: number; frames: number; filtered?: boolean; stall?: boolean },
) {
  const { n, frames } = run
  const s = await openNode()
  const batch = fakeBatches(s.node.genesis.chainId)
  // Filtered: every client but the last follows one device (a tenth of each frame); the last follows all.
  const urls = Array.from({ length: n }, (_, i) =>
    run.filtered && i < n - 1 ? `${s.url}&device=dev-${i % DEVICES}` : s.url,
  )
  await clients.connect(run.stall ? urls.slice(0, -1) : urls, run.stall ? s.base : undefined)
  await until(() => s.hub.stats().live === n, { what: 'subscribers' })
  global.gc?.()
  const rssBefore = process.memoryUsage.rss()
  let rssPeak = rssBefore
  await clients.expect(frames)
  const t0 = performance.now()
  for (let k = 1; k <= frames; k++) {
    await clients.window(k - 1)
    s.node.ingest.emit('records', batch(k))
    if (k % 8 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage.rss())
  }
  await clients.finished()
  const secs = (performance.now() - t0) / 1000
  const stats = s.hub.stats()
  await clients.close()
  await s.close()
  // Events the reading clients received (a stalled one is not counted).
  const filteredOnes = run.filtered ? n - 1 : 0
  const allOnes = run.stall ? 0 : n - filteredOnes
  const events = frames * (filteredOnes * (PER_FRAME / DEVICES) + allOnes * PER_FRAME)
  return { rate: events / secs, secs, rssBefore, rssPeak, stats }
}

/** The same frames from a bare `ws` server: no hub, no fastify, the message encoded once before timing. */
async function rawDelivery(clients: Clients, n: number, frames: number) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((r) => wss.once('listening', r))
  const fakes = fakeBatches('bench')(1)
  const message = frame(
    'ws',
    fakes.records.map((r, i) =>
      readingEvent(`1.${i}.0`, fakes.id(i), r, fakes.gateway, fakes.txHash, i, null),
    ),
  )
  await clients.connect(Array(n).fill(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`))
  await clients.expect(frames)
  const t0 = performance.now()
  for (let k = 1; k <= frames; k++) {
    await clients.window(k - 1)
    for (const c of wss.clients) c.send(message, { binary: false })
  }
  await clients.finished()
  const secs = (performance.now() - t0) / 1000
  await clients.close()
  await new Promise((r) => wss.close(r))
  return (n * frames * PER_FRAME) / secs
}

/** Records/s the node accepts (signed 1000-record batches, real LevelDB), with or without one live subscriber. */
async function accept(clients: Clients, subscriber: boolean, batches: number) {
  const s = await openNode()
  const gw = new BatchMaker(s.node.genesis.chainId)
  await s.node.registerGateway(toHex(gw.key.publicKey), 'bench')
  await s.node.producer.produce()
  const work = Array.from({ length: batches }, (_, i) => gw.next(1000, `dev-${i % 20}`, 'temp'))
  if (subscriber) {
    await clients.connect([s.url])
    await until(() => s.hub.stats().live === 1, { what: 'the subscriber' })
    await clients.expect(batches)
  }
  const t0 = performance.now()
  for (const b of work) await s.node.submitBatches([b])
  if (subscriber) await clients.finished()
  const secs = (performance.now() - t0) / 1000
  if (subscriber) await clients.close()
  await s.close()
  return (batches * 1000) / secs
}

async function main(): Promise<void> {
  const clients = new Clients()
  const rows: Row[] = []
  const row = (benchmark: string, stele: number, ceiling: number, target: string, met?: boolean) =>
    rows.push({ benchmark, stele, ceiling, target, ...(met === undefined ? {} : { met }) })
  const mb = (b: number) => b / 1024 / 1024
  const started = performance.now()
  // Every client follows all readings; fewer frames as subscribers grow (~0.1 to 1.4 GB per run).
  for (const [n, frames] of [
    [1, Math.round(3000 * scale)],
    [100, Math.round(150 * scale)],
    [1000, Math.max(4, Math.round(30 * scale))],
  ] as const) {
    const stele = await steleDelivery(clients, { n, frames })
    const ceiling = await rawDelivery(clients, n, frames)
    row(
      `events/s to ${n.toLocaleString('en-US')} WS subscriber${n > 1 ? 's' : ''}`,
      stele.rate,
      ceiling,
      'near ceiling',
    )
  }
  // 1,000 subscribers on ten device filters and one on everything; once with that one stalled (it must be cut
  // off once its backlog passes the 4 MiB limit, after the kernel's socket buffers fill: ~10 MB sent to it).
  const frames = 200
  const none = await steleDelivery(clients, { n: 1000, frames, filtered: true })
  const stalled = await steleDelivery(clients, { n: 1000, frames, filtered: true, stall: true })
  row(
    'node RSS MB, 1,000 subs, 1 stalled',
    mb(stalled.rssPeak),
    mb(none.rssPeak),
    'within 1.25x of none stalled',
    stalled.rssPeak <= 1.25 * none.rssPeak,
  )
  row(
    'RSS growth MB while streaming',
    mb(stalled.rssPeak - stalled.rssBefore),
    mb(none.rssPeak - none.rssBefore),
    `stalled cut off: lagged ${stalled.stats.lagged}`,
    stalled.stats.lagged === 1,
  )
  const held = stalled.stats.peakBytes
  row('peak bytes held by one subscriber', held, LIMIT, '<= limit + a batch', held < LIMIT + 1e5)
  row('events/s, 1,000 filtered subs, 1 stalled', stalled.rate, none.rate, 'ceiling: none stalled')
  const batches = Math.round(200 * scale)
  const withSub = await accept(clients, true, batches)
  const alone = await accept(clients, false, batches)
  row('accept records/s with 1 live subscriber', withSub, alone, 'ceiling: no subscriber')
  printTable('live stream (WebSocket, loopback; clients in a child process)', rows)
  const secs = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`\n${PER_FRAME} readings per frame; total ${secs} s`)
  clients.child.send({ cmd: 'exit' })
}

if (process.argv.includes('--clients')) await clientProcess()
else await main()
