import { SteleError } from './errors.ts'

/** Throws a coded error naming the field unless `value` is a Uint8Array (of `length`, when given). */
export function abytes(value: unknown, field: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new SteleError('STELE_BAD_ENCODING', `${field}: expected bytes`)
  if (length !== undefined && value.length !== length)
    throw new SteleError('STELE_BAD_ENCODING', `${field}: expected ${length} bytes, got ${value.length}`)
  return value
}

const HEX_RE = /^(?:[0-9a-f]{2})*$/i

export function toHex(bytes: Uint8Array): string {
  // A Buffer directly: reading `.buffer` of a small on-heap array moves it off the heap (about 1 µs a hash).
  if (Buffer.isBuffer(bytes)) return bytes.toString('hex')
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

export function fromHex(hex: string, field = 'hex', length?: number): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex))
    throw new SteleError('STELE_BAD_ENCODING', `${field}: not a hex string`)
  const out = new Uint8Array(Buffer.from(hex, 'hex'))
  if (length !== undefined && out.length !== length)
    throw new SteleError('STELE_BAD_ENCODING', `${field}: expected ${length} bytes, got ${out.length}`)
  return out
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts)
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

const encoder = new TextEncoder()
// ignoreBOM: a leading U+FEFF is data, not a byte-order mark to strip (stripping it would break round trips).
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export const utf8 = (s: string): Uint8Array => encoder.encode(s)

/** Appends big-endian fixed-width fields; grows its buffer geometrically so one writer serves a whole batch. */
export class ByteWriter {
  private buf: Buffer
  private pos = 0

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial)
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  private fits(v: number, max: number, what: string): void {
    if (!Number.isInteger(v) || v < 0 || v > max)
      throw new SteleError('STELE_BAD_ENCODING', `${what} out of range: ${v}`)
  }

  u8(v: number): this {
    this.fits(v, 0xff, 'u8')
    this.ensure(1)
    this.buf[this.pos++] = v
    return this
  }

  u16(v: number): this {
    this.fits(v, 0xffff, 'u16')
    this.ensure(2)
    this.buf.writeUInt16BE(v, this.pos)
    this.pos += 2
    return this
  }

  u32(v: number): this {
    this.fits(v, 0xffff_ffff, 'u32')
    this.ensure(4)
    this.buf.writeUInt32BE(v, this.pos)
    this.pos += 4
    return this
  }

  /** Unsigned 64-bit from a safe JS integer (all Stele u64 fields stay below 2^53). */
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new SteleError('STELE_BAD_ENCODING', `u64 out of range: ${v}`)
    this.ensure(8)
    this.buf.writeUInt32BE(Math.floor(v / 0x1_0000_0000), this.pos)
    this.buf.writeUInt32BE(v >>> 0, this.pos + 4)
    this.pos += 8
    return this
  }

  f64(v: number): this {
    this.ensure(8)
    this.buf.writeDoubleBE(v, this.pos)
    this.pos += 8
    return this
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
    return this
  }

  /** UTF-8 string with a u8 byte-length prefix. */
  str8(s: string, field: string, max = 255): this {
    const b = utf8(s)
    if (b.length > max) throw new SteleError('STELE_BAD_ENCODING', `${field}: longer than ${max} bytes`)
    return this.u8(b.length).bytes(b)
  }

  /** Bytes with a u32 length prefix. */
  var32(b: Uint8Array): this {
    return this.u32(b.length).bytes(b)
  }

  get length(): number {
    return this.pos
  }

  /** A copy of what was written, safe to keep after the writer is reused. */
  finish(): Uint8Array {
    return new Uint8Array(this.buf.subarray(0, this.pos))
  }

  reset(): void {
    this.pos = 0
  }
}

/** Reads what ByteWriter writes; every read checks bounds and names the field that ran short. */
export class ByteReader {
  private pos = 0
  private readonly view: DataView

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  private need(n: number, field: string): number {
    if (this.pos + n > this.buf.length)
      throw new SteleError('STELE_BAD_ENCODING', `${this.what}: truncated at ${field} (offset ${this.pos})`)
    const at = this.pos
    this.pos += n
    return at
  }

  u8(field: string): number {
    return this.view.getUint8(this.need(1, field))
  }

  u16(field: string): number {
    return this.view.getUint16(this.need(2, field))
  }

  u32(field: string): number {
    return this.view.getUint32(this.need(4, field))
  }

  u64(field: string): number {
    const at = this.need(8, field)
    const hi = this.view.getUint32(at)
    if (hi > 0x1f_ffff) throw new SteleError('STELE_BAD_ENCODING', `${this.what}: ${field} exceeds 2^53`)
    return hi * 0x1_0000_0000 + this.view.getUint32(at + 4)
  }

  f64(field: string): number {
    return this.view.getFloat64(this.need(8, field))
  }

  bytes(n: number, field: string): Uint8Array {
    const at = this.need(n, field)
    return this.buf.subarray(at, at + n)
  }

  /** UTF-8 string with a u8 byte-length prefix, refused when longer than `max` bytes (as ByteWriter.str8). */
  str8(field: string, max = 255): string {
    const n = this.u8(field)
    if (n > max) throw new SteleError('STELE_BAD_ENCODING', `${this.what}: ${field} longer than ${max} bytes`)
    try {
      return decoder.decode(this.bytes(n, field))
    } catch (cause) {
      if (cause instanceof SteleError) throw cause
      throw new SteleError('STELE_BAD_ENCODING', `${this.what}: ${field} is not valid UTF-8`, { cause })
    }
  }

  var32(field: string, max: number): Uint8Array {
    const n = this.u32(field)
    if (n > max)
      throw new SteleError('STELE_BAD_ENCODING', `${this.what}: ${field} length ${n} exceeds ${max}`)
    return this.bytes(n, field)
  }

  get offset(): number {
    return this.pos
  }

  get remaining(): number {
    return this.buf.length - this.pos
  }

  /** Refuses trailing bytes: canonical encodings have exactly one byte string per value. */
  end(): void {
    if (this.pos !== this.buf.length)
      throw new SteleError('STELE_BAD_ENCODING', `${this.what}: ${this.buf.length - this.pos} trailing bytes`)
  }
}
