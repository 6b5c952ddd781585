import type { ReadingView } from '../../core/api-views.ts'
import { toHex } from '../../core/bytes.ts'
import type { StampedRecord } from '../../core/record.ts'

export type { ReadingView }

// Readings of a page share a gateway key object (the record decoder interns it): hex it once.
let lastGateway: Uint8Array | undefined
let lastGatewayHex = ''
const gatewayHex = (g: Uint8Array): string => {
  if (g !== lastGateway) {
    lastGatewayHex = toHex(g)
    lastGateway = g
  }
  return lastGatewayHex
}

export function readingView(
  id: string,
  r: StampedRecord,
  txHash: string,
  blockHeight: number | null,
  leafIndex: number,
  /** Blocks up to this height are final; -1 (default) reports confirmed for every block. */
  finalHeight = -1,
): ReadingView {
  return {
    id,
    device: r.device,
    sensor: r.sensor,
    value: r.value,
    unit: r.unit ?? null,
    time: r.time,
    timeIso: new Date(r.time).toISOString(),
    logical: r.logical,
    seq: r.seq,
    gateway: gatewayHex(r.gateway),
    deviceSeq: r.deviceSeq ?? null,
    deviceTime: r.deviceTime ?? null,
    source: r.source,
    status: blockHeight === null ? 'pending' : blockHeight <= finalHeight ? 'final' : 'confirmed',
    blockHeight,
    txHash,
    leafIndex,
  }
}
