/**
 * NodeApi over a MessagePort, for a gateway whose node runs in another thread of the same process (`stele start`
 * with the node thread). The batches of one call cross as one transferred ArrayBuffer and a list of lengths:
 * no JSON, no base64, no structured clone of each byte array (which would copy whole outbox slabs). The bytes are
 * copied once into that buffer, since the caller keeps its own (the submitter resends them after a failure).
 * The other end is serveNodeApi (serve-node-api.ts).
 */
import type { MessagePort } from 'node:worker_threads'
import type { GatewayTip, NodeApi, NodeInfo, SubmitResult, SubmittedBatch } from '../../core/node-api.ts'
import { portRpc } from './port-rpc.ts'

/** What submitBatches sends: every batch's tx then records bytes, back to back, and their lengths. */
export interface PackedBatches {
  bytes: ArrayBuffer
  lengths: number[]
}

export function packBatches(batches: readonly SubmittedBatch[]): PackedBatches {
  let total = 0
  for (const b of batches) total += b.tx.byteLength + b.records.byteLength
  const out = new Uint8Array(total)
  const lengths: number[] = []
  let at = 0
  for (const b of batches) {
    out.set(b.tx, at)
    at += b.tx.byteLength
    out.set(b.records, at)
    at += b.records.byteLength
    lengths.push(b.tx.byteLength, b.records.byteLength)
  }
  return { bytes: out.buffer, lengths }
}

export function unpackBatches(p: PackedBatches): SubmittedBatch[] {
  const out: SubmittedBatch[] = []
  let at = 0
  for (let i = 0; i + 1 < p.lengths.length; i += 2) {
    const tx = new Uint8Array(p.bytes, at, p.lengths[i]!)
    at += p.lengths[i]!
    const records = new Uint8Array(p.bytes, at, p.lengths[i + 1]!)
    at += p.lengths[i + 1]!
    out.push({ tx, records })
  }
  return out
}

/** Rejects with the signal's reason when it aborts first (the call itself goes on in the node's thread). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

export function createPortNodeClient(port: MessagePort): NodeApi & { close(): void } {
  const rpc = portRpc(port, {}, 'the node thread')
  return {
    info: (opts) => abortable(rpc.call<NodeInfo>('info'), opts?.signal),
    gatewayTip: (gateway, opts) => abortable(rpc.call<GatewayTip>('gatewayTip', gateway), opts?.signal),
    submitBatches(batches, opts) {
      if (opts?.signal?.aborted) return Promise.reject(opts.signal.reason)
      const packed = packBatches(batches)
      return abortable(rpc.call<SubmitResult[]>('submitBatches', packed, [packed.bytes]), opts?.signal)
    },
    close: () => rpc.close(),
  }
}
