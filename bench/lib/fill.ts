import { toHex } from '../../core/bytes.ts'
import type { StampedRecord } from '../../core/record.ts'
import type { SteleNode } from '../../node/node.ts'
import { BatchMaker } from '../../test/helpers/batches.ts'

export interface Series {
  readings: number
  device: (i: number) => string
  sensor: (i: number) => string
  time: (i: number) => number
  value: (i: number) => number
}

/**
 * Seals readings into signed 1000-record batches as a gateway would (HLC times, record sequence, Merkle root, Ed25519)
 * and submits them to the node in-process, up to `window` calls in flight (the node validates a call while the
 * previous one is written). Returns the milliseconds from first seal to last acceptance.
 */
export async function fill(
  node: SteleNode,
  series: Series,
  opts: { perBatch?: number; window?: number; gateway?: BatchMaker; onBatch?: (done: number) => void } = {},
): Promise<number> {
  const perBatch = opts.perBatch ?? 1000
  const window = opts.window ?? 4
  const gw = opts.gateway ?? new BatchMaker(node.genesis.chainId)
  if (!opts.gateway) await node.registerGateway(toHex(gw.key.publicKey), 'bench')
  const inFlight = new Set<Promise<unknown>>()
  const t0 = performance.now()
  let failure: unknown
  for (let at = 0; at < series.readings; at += perBatch) {
    const records: StampedRecord[] = []
    for (let i = at; i < Math.min(series.readings, at + perBatch); i++) {
      gw.recordSeq++
      gw.time = Math.max(gw.time, series.time(i))
      records.push({
        gateway: gw.key.publicKey,
        seq: gw.recordSeq,
        time: gw.time,
        logical: 0,
        device: series.device(i),
        sensor: series.sensor(i),
        value: series.value(i),
        unit: 'C',
        source: 'sim',
      })
    }
    const s = gw.seal(records)
    const p = node.submitBatches([{ tx: s.tx.bytes, records: s.records }]).catch((e) => {
      failure = e
    })
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
    if (inFlight.size >= window) await Promise.race(inFlight)
    if (failure) throw failure
    opts.onBatch?.(at + records.length)
  }
  await Promise.all(inFlight)
  if (failure) throw failure
  return performance.now() - t0
}
