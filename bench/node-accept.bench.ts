// Node accept: signed batches handed to the node in-process (verify, index, persist) and sealed into blocks,
// beside the ceiling of a raw LevelDB batch write of the same bytes in the same run.
import { ClassicLevel } from 'classic-level'
import { toHex } from '../core/bytes.ts'
import { silentLogger } from '../core/logger.ts'
import type { SubmittedBatch } from '../core/node-api.ts'
import { SteleNode } from '../node/node.ts'
import { BatchMaker } from '../test/helpers/batches.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { printTable } from './table.ts'

const quick = process.argv.includes('--quick')
const BATCHES = quick ? 60 : 200
const PER_BATCH = 1000

async function steleAccept(): Promise<{ rate: number; bytes: number; batches: SubmittedBatch[] }> {
  const dir = await tempDir('bench-accept-')
  const node = await SteleNode.open({
    dataDir: dir.path,
    logger: silentLogger,
    blockIntervalMs: 3_600_000,
    recordsPerSecPerGateway: 1e9,
  })
  const gws = Array.from({ length: 4 }, () => new BatchMaker(node.genesis.chainId))
  for (const g of gws) await node.registerGateway(toHex(g.key.publicKey), 'bench')
  await node.producer.produce()
  const work: SubmittedBatch[][] = gws.map((g, gi) =>
    Array.from({ length: BATCHES / gws.length }, (_, i) =>
      g.next(PER_BATCH, `dev-${gi}-${i % 25}`, ['temp', 'hum'][i % 2]),
    ),
  )
  const all = work.flat()
  const bytes = all.reduce((n, b) => n + b.records.length + b.tx.length, 0)
  const t0 = performance.now()
  for (let i = 0; i < BATCHES / gws.length; i++) {
    for (const w of work) await node.submitBatches([w[i]!])
    if (i % 5 === 4) await node.producer.produce()
  }
  await node.producer.produce()
  const ms = performance.now() - t0
  await node.close()
  await dir.cleanup()
  return { rate: (BATCHES * PER_BATCH) / (ms / 1000), bytes, batches: all }
}

/** Ceiling: the same number of records written to LevelDB as three ~180-byte puts each (what the indexes need), in batches of 1000. */
async function rawLevel(batches: SubmittedBatch[]): Promise<number> {
  const dir = await tempDir('bench-level-')
  const db = new ClassicLevel<string, Uint8Array>(dir.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await db.open()
  const value = new Uint8Array(180)
  const t0 = performance.now()
  let n = 0
  for (const b of batches) {
    const ops = []
    for (let i = 0; i < PER_BATCH; i++, n++) {
      const k = n.toString(16).padStart(12, '0')
      ops.push(
        { type: 'put' as const, key: `i:${k}`, value },
        { type: 'put' as const, key: `d:x${k}`, value },
        { type: 'put' as const, key: `s:x${k}`, value },
      )
    }
    ops.push({ type: 'put' as const, key: `o:${n}`, value: b.records })
    await db.batch(ops)
  }
  const ms = performance.now() - t0
  await db.close()
  await dir.cleanup()
  return n / (ms / 1000)
}

const stele = await steleAccept()
const ceiling = await rawLevel(stele.batches)
printTable('node accept (records/s)', [
  {
    benchmark: 'node accept, 1000-record batches',
    stele: stele.rate,
    ceiling,
    target: '>= 150,000 records/s',
  },
])
