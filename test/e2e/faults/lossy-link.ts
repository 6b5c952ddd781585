import { Duplex } from 'node:stream'
import type { SerialLink } from '../../../firmware-bridge/serial-link.ts'

/**
 * A board's end of a serial line that loses what the gateway sends while `drop` is on: the ACKs are lost on the
 * line, as on a noisy cable, while the board's own frames still get through. Wraps a pty or in-process link.
 */
export class LossyLink {
  drop = false
  dropped = 0
  readonly link: SerialLink

  constructor(inner: SerialLink) {
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        if (inner.stream.destroyed) return cb()
        inner.stream.write(chunk, cb)
      },
      destroy(err, cb) {
        void inner.close().then(() => cb(err))
      },
    })
    stream.on('error', () => {})
    inner.stream.on('data', (chunk: Buffer) => {
      if (this.drop) this.dropped += chunk.length
      else stream.push(chunk)
    })
    inner.stream.once('close', () => stream.destroy())
    this.link = {
      path: inner.path,
      stream,
      close: () =>
        new Promise<void>((res) => {
          if (stream.destroyed) return res()
          stream.once('close', () => res())
          stream.destroy()
        }),
    }
  }
}
