import { cobsDecodeInto } from './cobs.ts'
import { crc16 } from './crc.ts'
import { parseBody } from './frame-codec.ts'
import { type Frame, MAX_ENCODED, MAX_PACKET } from './frame-types.ts'

export type DecodeErrorKind = 'crc' | 'oversize' | 'malformed'

export interface FrameDecoderStats {
  /** Bytes fed in. */
  bytes: number
  /** Frames that passed COBS, CRC and parsing. */
  frames: number
  crcErrors: number
  /** Runs of more than MAX_ENCODED bytes without a delimiter (noise, a lost delimiter). */
  oversize: number
  /** Bad COBS, packets too short for a CRC, or bodies that do not parse. */
  malformed: number
}

export interface FrameDecoderInit {
  onFrame: (frame: Frame) => void
  onError?: (kind: DecodeErrorKind, detail: string) => void
}

/**
 * Streaming decoder: bytes in, frames out. Holds at most MAX_ENCODED + MAX_PACKET bytes whatever arrives, never
 * throws on input, and resynchronises at the next 0x00 after any garbage. Frames are handed to `onFrame` in the
 * order they arrived; exceptions from the callbacks propagate, because they are the caller's bugs, not the wire's.
 */
export class FrameDecoder {
  private readonly encoded = new Uint8Array(MAX_ENCODED)
  private readonly packet = new Uint8Array(MAX_PACKET)
  private len = 0
  /** Set once the current run outgrew the buffer: its bytes are dropped until the next delimiter. */
  private discarding = false
  private readonly onFrame: (frame: Frame) => void
  private readonly onError: ((kind: DecodeErrorKind, detail: string) => void) | undefined
  readonly stats: FrameDecoderStats = { bytes: 0, frames: 0, crcErrors: 0, oversize: 0, malformed: 0 }

  constructor(init: FrameDecoderInit) {
    this.onFrame = init.onFrame
    this.onError = init.onError
  }

  push(chunk: Uint8Array): void {
    this.stats.bytes += chunk.length
    let start = 0
    while (start < chunk.length) {
      // indexOf runs in native code, so the common case (a whole frame in one chunk) copies each byte once.
      const zero = chunk.indexOf(0, start)
      const end = zero === -1 ? chunk.length : zero
      this.append(chunk, start, end)
      if (zero === -1) break
      this.endOfFrame()
      start = zero + 1
    }
  }

  /** Forgets a partial frame, e.g. when the port is reopened, so its bytes cannot merge with the next link's. */
  reset(): void {
    this.len = 0
    this.discarding = false
  }

  private append(chunk: Uint8Array, start: number, end: number): void {
    if (this.discarding || start === end) return
    const n = end - start
    if (this.len + n > MAX_ENCODED) {
      this.discarding = true
      this.len = 0
      return
    }
    this.encoded.set(chunk.subarray(start, end), this.len)
    this.len += n
  }

  private fail(kind: DecodeErrorKind, detail: string): null {
    if (kind === 'crc') this.stats.crcErrors++
    else if (kind === 'oversize') this.stats.oversize++
    else this.stats.malformed++
    this.onError?.(kind, detail)
    return null
  }

  private endOfFrame(): void {
    if (this.discarding) {
      this.discarding = false
      this.fail('oversize', `more than ${MAX_ENCODED} bytes without a delimiter`)
      return
    }
    const len = this.len
    this.len = 0
    // Empty frames are the sync bytes boards send before each frame: not an error.
    if (len === 0) return
    const frame = this.decodePacket(len)
    if (frame === null) return
    this.stats.frames++
    this.onFrame(frame)
  }

  /** COBS, CRC and parse of the buffered run; null (after counting why) when any of them fails. */
  private decodePacket(len: number): Frame | null {
    const n = cobsDecodeInto(this.encoded, 0, len, this.packet)
    if (n === -2) return this.fail('oversize', `packet longer than ${MAX_PACKET} bytes`)
    if (n < 0) return this.fail('malformed', 'invalid COBS')
    if (n < 3) return this.fail('malformed', `packet of ${n} bytes is shorter than a CRC and a body`)
    const want = (this.packet[n - 2]! << 8) | this.packet[n - 1]!
    const got = crc16(this.packet, 0, n - 2)
    if (want !== got) return this.fail('crc', `crc ${got.toString(16)} != ${want.toString(16)}`)
    try {
      // parseBody copies every field out, so the buffer can be reused for the next frame.
      return parseBody(this.packet.subarray(0, n - 2))
    } catch (e) {
      return this.fail('malformed', e instanceof Error ? e.message : String(e))
    }
  }
}
