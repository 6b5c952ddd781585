/** How bench/lib/fill.ts hands readings to its gateway thread (bench/lib/fill-gateway.ts): columns in shared slots. */

/** The gateway thread's key and the shared slots groups are handed over in (`capacity` readings each). */
export interface FillSetup {
  publicKey: Uint8Array
  secretKey: Uint8Array
  slots: SharedArrayBuffer[]
  capacity: number
}

/** A group of `n` readings as columns in slot `slot`; names are indexes into the names sent so far (`names` adds new ones). */
export interface FillGroup {
  chainId: string
  perBatch: number
  names: string[]
  slot: number
  n: number
}

/** Bytes of a slot per reading: time and value (f64), device and sensor name indexes (u32). */
export const SLOT_BYTES_PER_READING = 24

/** A slot's columns. */
export function slotColumns(buf: SharedArrayBuffer, capacity: number) {
  return {
    time: new Float64Array(buf, 0, capacity),
    value: new Float64Array(buf, 8 * capacity, capacity),
    device: new Uint32Array(buf, 16 * capacity, capacity),
    sensor: new Uint32Array(buf, 20 * capacity, capacity),
  }
}
