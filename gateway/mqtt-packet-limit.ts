/**
 * A maximum MQTT packet size for aedes, which has none: its parser buffers a packet whole before looking at
 * it, so one client announcing 64 MiB gets 64 MiB of memory. This reads only the fixed headers as bytes go
 * by (type byte, then the 1-4 byte remaining length) and skips the bodies, so the size of every packet is
 * known from its first bytes and an oversize one is refused before its body is buffered.
 */

export interface PacketSizeGuard {
  /** Feeds the next bytes; returns the announced size of the first packet over the limit, or undefined. */
  feed(chunk: Uint8Array): number | undefined
}

export function createPacketSizeGuard(maxBytes: number): PacketSizeGuard {
  let state: 'type' | 'length' | 'body' = 'type'
  let length = 0
  let multiplier = 1
  let lengthBytes = 0
  let skip = 0
  return {
    feed(chunk) {
      let i = 0
      while (i < chunk.length) {
        if (state === 'body') {
          const n = Math.min(skip, chunk.length - i)
          skip -= n
          i += n
          if (skip === 0) state = 'type'
          continue
        }
        const byte = chunk[i++]!
        if (state === 'type') {
          state = 'length'
          length = 0
          multiplier = 1
          lengthBytes = 0
          continue
        }
        length += (byte & 0x7f) * multiplier
        multiplier *= 128
        lengthBytes++
        if (byte & 0x80) {
          // Five length bytes is malformed; the parser will say so. Treat it as oversize meanwhile.
          if (lengthBytes >= 4) return Number.POSITIVE_INFINITY
          continue
        }
        const size = 1 + lengthBytes + length
        if (size > maxBytes) return size
        skip = length
        state = skip === 0 ? 'type' : 'body'
      }
      return undefined
    },
  }
}

/** The slice of aedes' Client this relies on (private: checked at start-up so an aedes upgrade fails loudly). */
interface AedesClientInternals {
  _parser?: { parse?: (buf: Buffer) => unknown }
  conn: { destroy(err?: Error): void }
}

/**
 * Puts a size guard in front of the parser of one aedes client. `onOversize` is told the announced size; the
 * connection is then destroyed and the rest of the packet never read into memory.
 */
export function limitClientPackets(
  client: unknown,
  maxBytes: number,
  onOversize: (size: number) => void,
): void {
  const c = client as AedesClientInternals
  const parser = c._parser
  const parse = parser?.parse
  if (!parser || typeof parse !== 'function')
    throw new TypeError('aedes client has no _parser.parse: the packet size limit cannot be applied')
  const guard = createPacketSizeGuard(maxBytes)
  let refused = false
  parser.parse = (buf: Buffer) => {
    if (refused) return undefined
    const over = guard.feed(buf)
    if (over === undefined) return parse.call(parser, buf)
    refused = true
    onOversize(over)
    c.conn.destroy()
    return undefined
  }
}
