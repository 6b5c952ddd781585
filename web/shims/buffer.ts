// Injected into the browser bundle: core/bytes.ts, merkle.ts and transaction.ts use node's Buffer global.
import { Buffer } from 'buffer'

// core/merkle.ts writes latin1 digests back with node's Buffer#latin1Write, which the buffer package lacks.
const proto = Buffer.prototype as Buffer & {
  latin1Write?: (s: string, offset: number, length: number) => number
}
proto.latin1Write ??= function (this: Buffer, s: string, offset: number, length: number): number {
  const n = Math.min(length, s.length, this.length - offset)
  for (let i = 0; i < n; i++) this[offset + i] = s.charCodeAt(i) & 0xff
  return n
}

export { Buffer }
