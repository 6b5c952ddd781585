/**
 * Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999): removes every 0x00 from a packet so that 0x00
 * can delimit frames. A receiver that starts mid-stream, or after garbage, finds the next frame at the next 0x00.
 * Overhead is one byte per 254 bytes of packet, so a 255-byte packet encodes to at most 257 bytes.
 */

/** Encoded size of a packet of `n` bytes, excluding the 0x00 delimiter. */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.floor(n / 254) + 1
}

/** COBS-encodes `src` into `dst` at `offset` and returns the index after the last byte written (no delimiter). */
export function cobsEncodeInto(src: Uint8Array, dst: Uint8Array, offset = 0): number {
  let codeAt = offset
  let out = offset + 1
  let code = 1
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!
    if (b === 0) {
      dst[codeAt] = code
      codeAt = out++
      code = 1
      continue
    }
    dst[out++] = b
    code++
    if (code === 0xff) {
      dst[codeAt] = code
      codeAt = out++
      code = 1
    }
  }
  dst[codeAt] = code
  return out
}

/** COBS-encodes a packet; the caller appends the 0x00 delimiter. */
export function cobsEncode(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(cobsMaxEncodedLength(src.length))
  return dst.subarray(0, cobsEncodeInto(src, dst))
}

/**
 * Decodes `src[start, end)` (one frame without its delimiter) into `dst` and returns the decoded length; -1
 * when the bytes are not valid COBS (a 0x00 inside, or a code byte pointing past the end); -2 when the decoded
 * packet would not fit `dst`. Never throws: the streaming decoder feeds it whatever arrived on the wire.
 */
export function cobsDecodeInto(src: Uint8Array, start: number, end: number, dst: Uint8Array): number {
  let i = start
  let out = 0
  while (i < end) {
    const code = src[i++]!
    if (code === 0) return -1
    const blockEnd = i + code - 1
    if (blockEnd > end) return -1
    if (out + (blockEnd - i) > dst.length) return -2
    while (i < blockEnd) {
      const b = src[i++]!
      if (b === 0) return -1
      dst[out++] = b
    }
    // A code below 0xFF stands for a zero that was removed, except at the very end of the frame.
    if (code !== 0xff && i < end) {
      if (out >= dst.length) return -2
      dst[out++] = 0
    }
  }
  return out
}
