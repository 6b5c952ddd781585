/**
 * CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor): check value 0x29B1 for "123456789".
 * Chosen over CRC-32 because an Uno computes it bit-by-bit in a few bytes of flash and RAM, and a frame is
 * at most 255 bytes, where CRC-16 still detects every burst up to 16 bits and all odd bit counts.
 */

const TABLE = buildTable()

function buildTable(): Uint16Array {
  const t = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i << 8
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff
    t[i] = c
  }
  return t
}

/** CRC of `bytes[start, end)`, so the decoder can check a packet in place without copying it. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ bytes[i]!) & 0xff]!
  return crc
}
