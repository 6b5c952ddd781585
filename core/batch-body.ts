/**
 * The binary body of `POST /v1/batches` (docs/protocol.md §9.7.3): for each batch, var32 transaction ‖ var32 record
 * list, back to back, as the wire block carries them. Beside the JSON body of base64 strings it spares the gateway the
 * base64 and JSON text and the node the JSON parse, the nesting check, the pattern checks and the base64 decode: the
 * node reads views of the one body buffer.
 */
import { ByteReader, ByteWriter } from './bytes.ts'
import { SteleError } from './errors.ts'
import type { SubmittedBatch } from './node-api.ts'

export const BATCH_BODY_TYPE = 'application/octet-stream'
/** Batches in one body at most, as the JSON body's schema. */
export const MAX_BATCHES_PER_BODY = 1000

export function encodeBatchBody(batches: readonly SubmittedBatch[]): Uint8Array<ArrayBuffer> {
  let size = 0
  for (const b of batches) size += 8 + b.tx.length + b.records.length
  const w = new ByteWriter(size)
  for (const b of batches) w.var32(b.tx).var32(b.records)
  // finish() copies into a fresh ArrayBuffer: the type says so for fetch's body.
  return w.finish() as Uint8Array<ArrayBuffer>
}

/** Views of `body` (not copies): the body's bytes stay alive while any batch read from it does. */
export function decodeBatchBody(body: Uint8Array): SubmittedBatch[] {
  // A plain Uint8Array view, so the batches are not Buffers (as those decoded from JSON are not).
  const rd = new ByteReader(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), 'batches body')
  const out: SubmittedBatch[] = []
  while (rd.remaining > 0) {
    if (out.length === MAX_BATCHES_PER_BODY)
      throw new SteleError('STELE_BAD_REQUEST', `body: more than ${MAX_BATCHES_PER_BODY} batches`)
    const tx = rd.var32('tx', rd.remaining)
    out.push({ tx, records: rd.var32('records', rd.remaining) })
  }
  if (out.length === 0) throw new SteleError('STELE_BAD_REQUEST', 'body: no batches')
  return out
}
