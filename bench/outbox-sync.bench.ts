// npx tsx bench/outbox-sync.bench.ts [--quick]
//
// What fsync costs the gateway's ingest: concurrent sources each push one reading and wait for its acknowledgement
// (as MQTT QoS 1 devices and serial boards do) through the real batcher into a real LevelDB outbox, with the outbox
// not synced, synced once per batch, and synced once per group of batches (group commit, the default). Prints
// outbox writes/s and readings/s per mode, and the group commit's ratio to no sync (the cost under 20% makes it
// the default; docs/performance.md).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '../core/ed25519.ts'
import { Batcher } from '../gateway/batcher.ts'
import { createHlc } from '../gateway/hlc.ts'
import { Outbox } from '../gateway/outbox.ts'
import { printTable, type Row } from './table.ts'

const quick = process.argv.includes('--quick')
const SECONDS = quick ? 2 : 5
const SOURCES = Number(process.env.SOURCES ?? 2000)

interface Mode {
  name: string
  sync: boolean
  maxGroup: number
}
const MODES: Mode[] = [
  { name: 'sync off', sync: false, maxGroup: 64 },
  { name: 'sync per write (1 batch)', sync: true, maxGroup: 1 },
  { name: 'group commit', sync: true, maxGroup: 64 },
]

async function run(mode: Mode): Promise<{ writes: number; readings: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'stele-outbox-sync-'))
  const outbox = await Outbox.open({ path: join(dir, 'outbox'), sync: mode.sync })
  let writes = 0
  const appendMany = outbox.appendMany.bind(outbox)
  outbox.appendMany = (...a) => {
    writes++
    return appendMany(...a)
  }
  // Removing accepted batches as the submitter would keeps the outbox from filling.
  outbox.on('append', (seq) => void outbox.remove(seq - 100).catch(() => undefined))
  const batcher = new Batcher({
    key: generateKeyPair(),
    outbox,
    state: {
      chainId: 'bench',
      batchSeq: 0,
      recordSeq: 0,
      prevHash: '0'.repeat(64),
      hlc: { time: 0, logical: 0 },
    },
    hlc: createHlc(),
    maxGroup: mode.maxGroup,
  })
  let readings = 0
  const until = performance.now() + SECONDS * 1000
  await Promise.all(
    Array.from({ length: SOURCES }, async (_, d) => {
      for (let seq = 1; performance.now() < until; seq++) {
        await batcher.push([{ device: `dev-${d}`, sensor: 't', value: seq, deviceSeq: seq, source: 'mqtt' }])
        readings++
      }
    }),
  )
  await batcher.stop()
  await outbox.close()
  rmSync(dir, { recursive: true, force: true })
  return { writes: writes / SECONDS, readings: readings / SECONDS }
}

const results = new Map<string, { writes: number; readings: number }>()
for (const m of MODES) results.set(m.name, await run(m))
console.log(`\noutbox fsync, ${SOURCES} sources acknowledged one reading at a time, ${SECONDS} s each`)
console.log('| mode | outbox writes/s | readings/s |')
console.log('| --- | --- | --- |')
for (const [name, r] of results)
  console.log(`| ${name} | ${Math.round(r.writes)} | ${Math.round(r.readings)} |`)
const off = results.get('sync off')!
const group = results.get('group commit')!
const rows: Row[] = [
  {
    benchmark: 'outbox group commit vs no fsync',
    stele: group.readings,
    ceiling: off.readings,
    unit: 'readings/s',
    peer: '(sync off)',
    target: 'ratio >= 0.8',
    met: group.readings >= 0.8 * off.readings,
  },
]
printTable('outbox fsync', rows)
