// Node accept: signed 1000-record batches from 4 gateways submitted concurrently to the node in-process (verify,
// index, rollups, persist, block), beside the ceiling of a raw LevelDB batch write of the same record bytes (one
// put per record, 1000 per batch) in the same run.
//   node --import tsx bench/node-accept.bench.ts [--quick]

import { toHex } from '../core/bytes.ts'
import { silentLogger } from '../core/logger.ts'
import type { SubmittedBatch } from '../core/node-api.ts'
import { decodeRecordList, type StampedRecord } from '../core/record.ts'
import { openDb } from '../node/db/db.ts'
import { SteleNode } from '../node/node.ts'
import { BatchMaker } from '../test/helpers/batches.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { threadTicks, usPer } from './lib/thread-ticks.ts'
import { printTable } from './table.ts'

const quick = process.argv.includes('--quick')
const GATEWAYS = 4
const BATCHES = quick ? 240 : 800
const PER_BATCH = 1000
const DEVICES = 25 // per gateway, two sensors each, every batch mixing all of them

function makeBatches(chainId: string): { gws: BatchMaker[]; work: SubmittedBatch[][] } {
  const gws = Array.from({ length: GATEWAYS }, () => new BatchMaker(chainId))
  const work = gws.map((g, gi) =>
    Array.from({ length: BATCHES / GATEWAYS }, () => {
      const records: StampedRecord[] = []
      for (let i = 0; i < PER_BATCH; i++)
        records.push(...g.records(1, `dev-${gi}-${i % DEVICES}`, i % 2 ? 'temp' : 'hum'))
      const s = g.seal(records)
      return { tx: s.tx.bytes, records: s.records }
    }),
  )
  return { gws, work }
}

async function steleAccept(): Promise<{
  rate: number
  work: SubmittedBatch[][]
  cpu: string
  lookup: string
}> {
  const dir = await tempDir('bench-accept-')
  const node = await SteleNode.open({ dataDir: dir.path, logger: silentLogger, recordsPerSecPerGateway: 1e9 })
  const { gws, work } = makeBatches(node.genesis.chainId)
  for (const g of gws) await node.registerGateway(toHex(g.key.publicKey), 'bench')
  await node.producer.produce()
  node.start() // blocks every second, as in production
  const ids: string[] = []
  node.ingest.on('records', (batch) => {
    for (let i = 0; i < batch.records.length; i += 97) ids.push(batch.id(i))
  })
  const k0 = threadTicks()
  const t0 = performance.now()
  // Each gateway submits its next batch when the node answered the previous one (as the submitter does).
  await Promise.all(
    work.map(async (batches) => {
      for (const b of batches) await node.submitBatches([b])
    }),
  )
  await node.producer.produce()
  const ms = performance.now() - t0
  const k1 = threadTicks()
  // Readings by id (GET /v1/readings/:id, proofs), spread over the whole store: recent ones still in memory, older
  // ones in the reading-id runs.
  const l0 = performance.now()
  for (const id of ids) await node.query.reading(id)
  const lookup = `${ids.length} readings by id, ${(((performance.now() - l0) * 1000) / ids.length).toFixed(0)} µs each`
  await node.close()
  await dir.cleanup()
  const n = BATCHES * PER_BATCH
  const us = (ticks: number) => usPer(ticks, n).toFixed(2)
  return {
    rate: n / (ms / 1000),
    work,
    lookup,
    cpu: `main thread ${us(k1.main - k0.main)} µs/record, other threads ${us(k1.other - k0.other)} µs/record`,
  }
}

/** Ceiling: the same records' bytes written to LevelDB as one put each, 1000 per batch, one batch after another. */
async function rawLevel(work: SubmittedBatch[][]): Promise<number> {
  const dir = await tempDir('bench-level-')
  const db = await openDb(dir.path)
  const lists = work.flat().map((b) => decodeRecordList(b.records))
  let n = 0
  const t0 = performance.now()
  for (const records of lists) {
    const batch = db.batch()
    for (const r of records) batch.put(`x:${(n++).toString(16).padStart(12, '0')}`, r)
    await batch.write()
  }
  const ms = performance.now() - t0
  await db.close()
  await dir.cleanup()
  return n / (ms / 1000)
}

const stele = await steleAccept()
const ceiling = await rawLevel(stele.work)
printTable('node accept (records/s)', [
  {
    benchmark: `node accept, ${GATEWAYS} gateways, 1000-record batches`,
    unit: 'records/s',
    stele: stele.rate,
    ceiling,
    peer: '(raw LevelDB, same bytes)',
    target: '>= 150,000 records/s',
    met: stele.rate >= 150_000,
  },
])
console.log(`accept CPU: ${stele.cpu}`)
console.log(`lookup: ${stele.lookup}`)
