import type { Duplex } from 'node:stream'
import { SerialPort } from 'serialport'
import { SteleError } from '../core/errors.ts'
import { eofAwareBinding } from './serial-binding.ts'

/**
 * One open serial line, whatever carries it: a USB board, a pseudo-terminal, or an in-process pair in tests and
 * on machines without ptys. `stream` emits 'data' with bytes from the device and 'close' exactly once when the
 * line ends for any reason (unplugged, closed, error); an 'error' listener is always attached, so a dying
 * device never crashes the process. It is a Node Duplex so firmata-io can use it as its transport as is.
 */
export interface SerialLink {
  readonly path: string
  readonly stream: Duplex
  /** Closes the descriptor; resolves once it is closed (at once if it already was). Never rejects. */
  close(): Promise<void>
}

export interface OpenSerialOptions {
  path: string
  baudRate: number
}

/** How connectors and simulated boards open a line; tests and the in-process fallback inject their own. */
export type OpenSerial = (opts: OpenSerialOptions, o?: { signal?: AbortSignal }) => Promise<SerialLink>

const CLOSE_TIMEOUT_MS = 2000

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError')
}

/**
 * Opens a real device with serialport 13 (no native rebuild: its prebuilt bindings-cpp), through a binding that
 * turns a hung-up tty into a 'close' instead of an endless read loop (serial-binding.ts).
 */
export const openSerialPort: OpenSerial = (opts, o = {}) => {
  const { signal } = o
  if (signal?.aborted) return Promise.reject(abortError(signal))
  return new Promise<SerialLink>((resolve, reject) => {
    // SerialPort's typings omit `binding`, but it spreads its options over the detected binding at runtime.
    const port = new SerialPort({
      path: opts.path,
      baudRate: opts.baudRate,
      autoOpen: false,
      ...({ binding: eofAwareBinding } as object),
    })
    // Errors also surface as 'close' (disconnect) or as a failed open; this listener only keeps them non-fatal.
    port.on('error', () => {})
    let settled = false
    // close() can block in the kernel while a wedged USB device drains its output; never let that stall a
    // reconnect loop: give up waiting after CLOSE_TIMEOUT_MS (the descriptor is released when the kernel is done).
    const close = (): Promise<void> =>
      new Promise<void>((res) => {
        if (!port.isOpen) return res()
        const t = setTimeout(res, CLOSE_TIMEOUT_MS)
        t.unref?.()
        port.close(() => {
          clearTimeout(t)
          res()
        })
      })
    const onAbort = (): void => {
      if (settled) return
      settled = true
      reject(abortError(signal!))
      // The open may still complete in the background: close what it opens.
      port.once('open', () => void close())
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    port.open((err) => {
      signal?.removeEventListener('abort', onAbort)
      if (settled) return
      settled = true
      if (err) {
        reject(new SteleError('STELE_UNAVAILABLE', `serial ${opts.path}: ${err.message}`, { cause: err }))
        return
      }
      resolve({ path: opts.path, stream: port, close })
    })
  })
}
