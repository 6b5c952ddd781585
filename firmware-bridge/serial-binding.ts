import { read } from 'node:fs'
import { promisify } from 'node:util'
import { SerialPort } from 'serialport'

/**
 * serialport 13's Unix read loop retries forever when read() returns 0 bytes, which is what a tty returns after
 * hang-up: an unplugged USB board, or a pty whose other side went away. The port then never emits 'close' and
 * the loop spins a thread-pool thread (serialport/bindings-cpp#162, unmerged fix #164). This binding wraps the
 * detected one and ends the read with a disconnect error on end-of-file instead, so the stream closes and the
 * connector reconnects. Ports are opened with VMIN=1 and O_NONBLOCK, so an empty read never means "no data yet"
 * (that is EAGAIN). Only the read path is replaced, and only where the port exposes the Unix fd and poller.
 */
type Binding = typeof SerialPort.binding
type PortBinding = Awaited<ReturnType<Binding['open']>>

interface UnixPort {
  fd: number | null
  poller?: { once(ev: 'readable', cb: (err?: Error | null) => void): void }
  readonly isOpen: boolean
}

const fsRead = promisify(read)

const canceled = (): Error => Object.assign(new Error('Port is not open'), { canceled: true })
const disconnected = (message: string, cause?: unknown): Error =>
  Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { disconnect: true })

async function eofAwareRead(
  port: UnixPort,
  buffer: Buffer,
  offset: number,
  length: number,
): Promise<{ bytesRead: number; buffer: Buffer }> {
  for (;;) {
    if (!port.isOpen || port.fd === null) throw canceled()
    try {
      const { bytesRead } = await fsRead(port.fd, buffer, offset, length, null)
      if (bytesRead === 0) throw disconnected('end of file: the device hung up')
      return { bytesRead, buffer }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') {
        if (!port.isOpen) throw canceled()
        await new Promise<void>((resolve, reject) =>
          port.poller!.once('readable', (e) => (e ? reject(e) : resolve())),
        )
        continue
      }
      if ((err as { disconnect?: boolean }).disconnect) throw err
      // EIO (pty hang-up), ENXIO and EBADF (device gone, descriptor closed): the line is gone.
      throw disconnected(`read failed: ${(err as Error).message}`, err)
    }
  }
}

const base: Binding = SerialPort.binding

export const eofAwareBinding: Binding = {
  list: () => base.list(),
  async open(options: Parameters<Binding['open']>[0]) {
    // The detected binding's open takes the options of its own platform; pass them through untouched.
    const port: PortBinding = await (base.open as (o: unknown) => Promise<PortBinding>)(options)
    const unix = port as unknown as UnixPort
    if (typeof unix.fd === 'number' && unix.poller) {
      port.read = (buffer: Buffer, offset: number, length: number) =>
        eofAwareRead(unix, buffer, offset, length)
    }
    return port
  },
} as Binding
