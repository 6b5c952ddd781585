/**
 * fill's gateway thread (bench/lib/fill.ts): stamps readings with the gateway's encoder (gateway/stamper.ts) and seals
 * them into signed batches (core/seal.ts: leaf hashes, Merkle root, Ed25519), keeping the gateway's chain (batch
 * and record sequences, clock, previous header) here, and answers each group with its batches, their bytes moved to
 * the node's thread without a copy.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { batchHeaderHash, ZERO_HASH } from '../../core/batch.ts'
import type { Reading } from '../../core/reading.ts'
import { sealBatch } from '../../core/seal.ts'
import { RecordStamper } from '../../gateway/stamper.ts'
import { type FillGroup, type FillSetup, slotColumns } from './fill-slots.ts'

export interface FillSealed {
  batches: { tx: Uint8Array; records: Uint8Array }[]
  readings: number
  error?: string
}

const key = workerData as FillSetup
const columns = key.slots.map((s) => slotColumns(s, key.capacity))
const stamper = new RecordStamper(key.publicKey)
const names: string[] = []
let seq = 0
let recordSeq = 0
let time = 0
let prevHash: Uint8Array = ZERO_HASH

function seal(g: FillGroup): FillSealed {
  names.push(...g.names)
  const batches: FillSealed['batches'] = []
  const { n } = g
  const c = columns[g.slot]!
  for (let at = 0; at < n; at += g.perBatch) {
    const end = Math.min(n, at + g.perBatch)
    const records: Uint8Array[] = []
    const firstRecordSeq = recordSeq + 1
    let minTime = 0
    for (let i = at; i < end; i++) {
      time = Math.max(time, c.time[i]!)
      if (i === at) minTime = time
      const reading: Reading = {
        device: names[c.device[i]!]!,
        sensor: names[c.sensor[i]!]!,
        value: c.value[i]!,
        unit: 'C',
        source: 'sim',
      }
      records.push(stamper.encode(reading, ++recordSeq, time, 0))
    }
    const s = sealBatch({
      chainId: g.chainId,
      gateway: key,
      seq: ++seq,
      prevHash,
      records,
      firstRecordSeq,
      minTime,
      maxTime: time,
    })
    prevHash = batchHeaderHash(s.headerBytes)
    batches.push({ tx: new Uint8Array(s.tx.bytes), records: s.records }) // copies: own buffers, safe to move
  }
  return { batches, readings: n }
}

parentPort?.postMessage({ batches: [], readings: 0 } satisfies FillSealed) // loaded: ready for groups
parentPort?.on('message', (g: FillGroup) => {
  try {
    const out = seal(g)
    parentPort?.postMessage(
      out,
      out.batches.flatMap((b) => [b.tx.buffer as ArrayBuffer, b.records.buffer as ArrayBuffer]),
    )
  } catch (err) {
    parentPort?.postMessage({ batches: [], readings: 0, error: String(err) } satisfies FillSealed)
  }
})
