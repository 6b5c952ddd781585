// Storage layer throughput and memory: add (chunk, hash, write to LevelDB) and get (read back in order) MB/s
// beside the raw SHA-256 MB/s of the same bytes and beside ipfs-unixfs-importer into a memory blockstore; then, in a
// fresh process (so no earlier phase's garbage is in its RSS), the peak RSS of adding a 1 GiB file (256 MiB in
// --quick) and of downloading it through the node's GET route over a real socket, the file generated as a stream
// and never held.
//   node --import tsx bench/storage.bench.ts [--quick] [--round-trip]   (--round-trip: only the fresh-process rows)
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { get as httpGet, type IncomingMessage } from 'node:http'
import Fastify from 'fastify'
import { importFile } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import { SteleError } from '../core/errors.ts'
import { errorSchema } from '../node/api/error-schema.ts'
import { storageRoutes } from '../node/api/storage.ts'
import { openDb } from '../node/db/db.ts'
import { Storage } from '../node/storage/storage.ts'
import { kuboV1Options } from '../node/storage/unixfs-options.ts'
import { kuboRandom } from '../test/helpers/kubo-random.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { rssSplit } from './lib/rss.ts'
import { printTable, type Row } from './table.ts'

const quick = process.argv.includes('--quick')
const MiB = 2 ** 20
const THROUGHPUT_BYTES = (quick ? 64 : 256) * MiB
const ROUND_TRIP_BYTES = (quick ? 256 : 1024) * MiB
const clock = { now: () => Date.now(), set: () => undefined, clear: () => undefined }

const source = (size: number, seed: string) =>
  (async function* () {
    yield* kuboRandom(size, seed)
  })()

const mbps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000)

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now()
  const value = await fn()
  return { ms: performance.now() - t0, value }
}

/** RSS now and the peak since the watch started (with its anonymous and file parts then), sampled every 20 ms, MB. */
function rssWatch() {
  const sample = () => ({ rss: process.memoryUsage().rss / MiB, ...rssSplit() })
  const base = sample().rss
  let peak = sample()
  const sampler = setInterval(() => {
    const now = sample()
    if (now.rss > peak.rss) peak = now
  }, 20)
  return {
    base,
    stop: () => {
      clearInterval(sampler)
      return peak
    },
  }
}

async function openStorage(path: string) {
  const db = await openDb(path)
  const storage = new Storage({}, { db, timers: clock })
  await storage.load()
  return { db, storage }
}

/** Child mode: a fresh process adds `bytes` to the store in `path`; prints its RSS before and at peak. */
async function addChild(path: string, bytes: number): Promise<void> {
  const { db, storage } = await openStorage(path)
  const watch = rssWatch()
  const add = await timed(() => storage.add(source(bytes, 'round-trip')))
  const { rss: peak, ...split } = watch.stop()
  await db.close()
  console.log(JSON.stringify({ base: watch.base, peak, ...split, ms: add.ms, cid: add.value.cid }))
}

/**
 * Child mode: a fresh process opens the store in `path` and serves it with the node's storage routes on a loopback
 * port, downloads `cid` from itself and checks its SHA-256; prints its RSS before and at peak.
 */
async function getChild(path: string, cid: string, bytes: number): Promise<void> {
  const { db, storage } = await openStorage(path)
  const app = Fastify()
  app.addSchema(errorSchema)
  await app.register(storageRoutes, { node: { storage } })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const watch = rssWatch()
  const get = await timed(async () => {
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpGet(`${url}/v1/storage/files/${cid}`, resolve).on('error', reject),
    )
    const h = createHash('sha256')
    for await (const chunk of res) h.update(chunk as Buffer)
    return h.digest()
  })
  const { rss: peak, ...split } = watch.stop()
  const expected = createHash('sha256')
  for (const chunk of kuboRandom(bytes, 'round-trip')) expected.update(chunk)
  if (!get.value.equals(expected.digest()))
    throw new SteleError('STELE_INTERNAL', 'round trip changed the bytes')
  await app.close()
  await db.close()
  console.log(JSON.stringify({ base: watch.base, peak, ...split, ms: get.ms }))
}

interface ChildRss {
  base: number
  peak: number
  /** Anonymous and file-backed parts of the peak (Linux). */
  rssAnon?: number
  rssFile?: number
  ms: number
  cid?: string
}

function child(args: string[]): Promise<ChildRss> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', import.meta.filename, ...args],
      { timeout: 600_000 },
      (err, stdout) => {
        if (err) return reject(err)
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ChildRss)
      },
    ),
  )
}

async function throughputRows(): Promise<Row[]> {
  // Raw SHA-256 over the same generated bytes (generation included, as it is in every other figure).
  const sha = await timed(async () => {
    const h = createHash('sha256')
    for (const chunk of kuboRandom(THROUGHPUT_BYTES, 'sha')) h.update(chunk)
    return h.digest()
  })

  // The same importer and options into a Map: the ceiling of chunking and hashing without LevelDB.
  const memory = await timed(async () => {
    const blocks = new Map<string, Uint8Array>()
    const store = {
      put: async (cid: CID, bytes: Uint8Array) => {
        blocks.set(cid.toString(), bytes)
        return cid
      },
    }
    return importFile({ content: source(THROUGHPUT_BYTES, 'mem') }, store, kuboV1Options())
  })

  const dir = await tempDir('stele-bench-storage-')
  const db = await openDb(dir.path)
  const storage = new Storage({}, { db, timers: clock })
  await storage.load()
  const add = await timed(() => storage.add(source(THROUGHPUT_BYTES, 'add')))
  const get = await timed(async () => {
    let n = 0
    for await (const chunk of await storage.cat(CID.parse(add.value.cid))) n += chunk.length
    return n
  })
  await db.close()
  await dir.cleanup()
  return [
    {
      benchmark: `storage add ${THROUGHPUT_BYTES / MiB} MiB`,
      unit: 'MB/s',
      stele: mbps(THROUGHPUT_BYTES, add.ms),
      ceiling: mbps(THROUGHPUT_BYTES, memory.ms),
      peer: 'importer → memory',
      target: 'informational',
    },
    {
      benchmark: `storage add ${THROUGHPUT_BYTES / MiB} MiB vs SHA-256`,
      unit: 'MB/s',
      stele: mbps(THROUGHPUT_BYTES, add.ms),
      ceiling: mbps(THROUGHPUT_BYTES, sha.ms),
      peer: 'raw SHA-256',
      target: 'informational',
    },
    {
      benchmark: `storage get ${THROUGHPUT_BYTES / MiB} MiB`,
      unit: 'MB/s',
      stele: mbps(get.value, get.ms),
      ceiling: mbps(THROUGHPUT_BYTES, sha.ms),
      peer: 'raw SHA-256',
      target: 'informational',
    },
  ]
}

async function main(): Promise<void> {
  const rows = process.argv.includes('--round-trip') ? [] : await throughputRows()
  const size = ROUND_TRIP_BYTES / MiB
  const dir = await tempDir('stele-bench-storage-rt-')
  const add = await child(['--add-child', dir.path, String(ROUND_TRIP_BYTES)])
  const get = await child(['--get-child', dir.path, add.cid!, String(ROUND_TRIP_BYTES)])
  await dir.cleanup()
  const split = (c: ChildRss) =>
    `anonymous ${c.rssAnon?.toFixed(0)} MB, file-backed ${c.rssFile?.toFixed(0)} MB`
  console.log(`at the add's peak: ${split(add)}; at the GET's peak: ${split(get)}`)
  const peakRow = (what: string, c: ChildRss): Row => ({
    benchmark: `storage ${what}, peak RSS (fresh process)`,
    unit: 'MB',
    stele: c.peak,
    ceiling: c.base,
    peer: 'RSS before',
    target: `< 512 MB (flat: not ${size} MiB)`,
    met: c.peak < 512,
  })
  rows.push(peakRow(`add ${size} MiB`, add), peakRow(`GET ${size} MiB over HTTP`, get), {
    benchmark: `storage GET ${size} MiB over HTTP`,
    unit: 'MB/s',
    stele: mbps(ROUND_TRIP_BYTES, get.ms),
    ceiling: mbps(ROUND_TRIP_BYTES, add.ms),
    peer: 'add of the same file',
    target: 'informational',
  })
  printTable(`storage (${size} MiB added, then downloaded, each in a fresh process; CID ${add.cid})`, rows)
}

const mode = process.argv.findIndex((a) => a === '--add-child' || a === '--get-child')
const [path, a1, a2] = process.argv.slice(mode + 1)
if (mode > 0 && process.argv[mode] === '--add-child') await addChild(path!, Number(a1))
else if (mode > 0) await getChild(path!, a1!, Number(a2))
else await main()
