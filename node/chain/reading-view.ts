import { toHex } from '../../core/bytes.ts'
import type { StampedRecord } from '../../core/record.ts'

export interface ReadingView {
  id: string
  device: string
  sensor: string
  value: number
  unit: string | null
  time: number
  timeIso: string
  logical: number
  seq: number
  gateway: string
  deviceSeq: number | null
  deviceTime: number | null
  source: string
  /** final: blocks signed by more than half the producers are built on its block (consensus/finality.ts). */
  status: 'pending' | 'confirmed' | 'final'
  blockHeight: number | null
  txHash: string
  /** Position of the record in its batch: the leaf index of its proof. */
  leafIndex: number
}

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
