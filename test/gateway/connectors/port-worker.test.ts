import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { realTimers } from '../../../core/timers.ts'
import type { OpenSerial, SerialLink } from '../../../firmware-bridge/serial-link.ts'
import {
  checkPortConfig,
  PortWorker,
  type PortWorkerInit,
  portWorkerComponents,
  type ServeOutcome,
} from '../../../gateway/connectors/port-worker.ts'
import { until } from '../../helpers/wait.ts'

/** In-memory lines: `present` paths open, others fail like a missing device; every open and close is logged. */
function lines(present: Set<string>) {
  const log: string[] = []
  const open = new Map<string, SerialLink>()
  const openSerial: OpenSerial = async ({ path }) => {
    if (!present.has(path)) throw new Error(`ENOENT ${path}`)
    const stream = new PassThrough()
    const link: SerialLink = {
      path,
      stream,
      async close() {
        if (open.get(path) === link) open.delete(path)
        log.push(`close ${path}`)
        stream.destroy()
      },
    }
    open.set(path, link)
    log.push(`open ${path}`)
    return link
  }
  return { log, open, openSerial }
}

const usb = (path: string, serialNumber: string) => ({
  path,
  vendorId: '2341',
  productId: '0043',
  serialNumber,
})

const workers: PortWorker[] = []
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop()
})

function worker(
  init: Omit<PortWorkerInit, 'status' | 'baudRate'>,
  c: Parameters<typeof portWorkerComponents>[0] & { claimed?: Set<string> },
) {
  const status = { lastError: null as string | null }
  const components = portWorkerComponents(c, { initialMs: 1, maxMs: 4, jitter: 0 })
  if (c.claimed) components.claimed = c.claimed
  const w = new PortWorker({ ...init, baudRate: 9600, status }, components)
  workers.push(w)
  return { w, status, components }
}

describe('PortWorker', () => {
  it('keeps trying a missing port with backoff, serves it once present, and stop closes it', async () => {
    const present = new Set<string>()
    const l = lines(present)
    const served: string[] = []
    const { w, status } = worker(
      {
        name: 'p',
        path: '/dev/a',
        serve: (link, signal) =>
          new Promise<ServeOutcome>((resolve) => {
            served.push(link.path)
            signal.addEventListener('abort', () => resolve('healthy'), { once: true })
          }),
      },
      { sink: { push: async () => {} }, openSerial: l.openSerial, timers: realTimers },
    )
    w.start()
    await until(() => status.lastError === 'ENOENT /dev/a', { what: 'a failed open' })
    present.add('/dev/a')
    await until(() => served.length === 1, { what: 'served' })
    await w.stop()
    expect(l.log).toEqual(['open /dev/a', 'close /dev/a'])
    expect(l.open.size).toBe(0)
  })

  it("moves to the next candidate when serve says 'next' or throws, keeping the reason", async () => {
    const present = new Set(['/dev/wrong', '/dev/broken', '/dev/right'])
    const l = lines(present)
    const ports = [usb('/dev/wrong', '1'), usb('/dev/broken', '2'), usb('/dev/right', '3')]
    let done!: () => void
    const served = new Promise<void>((r) => {
      done = r
    })
    const { w, status } = worker(
      {
        name: 'p',
        match: { vendorId: '2341' },
        async serve(link, signal) {
          if (link.path === '/dev/wrong') return 'next'
          if (link.path === '/dev/broken') throw new Error('no handshake')
          done()
          await new Promise((r) => signal.addEventListener('abort', r, { once: true }))
          return 'healthy'
        },
      },
      {
        sink: { push: async () => {} },
        openSerial: l.openSerial,
        listPorts: async () => ports,
        timers: realTimers,
      },
    )
    w.start()
    await served
    expect(status.lastError).toBe('no handshake')
    expect(l.log).toEqual([
      'open /dev/wrong',
      'close /dev/wrong',
      'open /dev/broken',
      'close /dev/broken',
      'open /dev/right',
    ])
  })

  it('never opens a port another worker of the connector holds', async () => {
    const l = lines(new Set(['/dev/one']))
    const claimed = new Set<string>()
    const c = { sink: { push: async () => {} }, openSerial: l.openSerial, timers: realTimers, claimed }
    const hold = (signal: AbortSignal) =>
      new Promise<ServeOutcome>((r) => signal.addEventListener('abort', () => r('healthy'), { once: true }))
    const first = worker({ name: 'a', path: '/dev/one', serve: (_l, s) => hold(s) }, c)
    const second = worker({ name: 'b', path: '/dev/one', serve: (_l, s) => hold(s) }, c)
    first.w.start()
    await until(() => l.open.size === 1, { what: 'the first open' })
    second.w.start()
    await until(() => second.status.lastError === 'no device at /dev/one', { what: 'the second skipping it' })
    expect(l.log).toEqual(['open /dev/one'])
  })

  it('stop waits for what serve left running, and start refuses an aborted signal', async () => {
    const l = lines(new Set(['/dev/a']))
    let settle!: () => void
    const pending = new Promise<void>((r) => {
      settle = r
    })
    let stopped = false
    const { w } = worker(
      {
        name: 'p',
        path: '/dev/a',
        serve: (_link, signal) =>
          new Promise((r) => signal.addEventListener('abort', () => r('healthy'), { once: true })),
        idle: () => pending,
      },
      { sink: { push: async () => {} }, openSerial: l.openSerial, timers: realTimers },
    )
    const signal = AbortSignal.abort()
    expect(() => w.start({ signal })).toThrow()
    w.start()
    await until(() => l.open.size === 1, { what: 'open' })
    const stopping = w.stop().then(() => {
      stopped = true
    })
    await until(() => l.open.size === 0, { what: 'closed' })
    expect(stopped).toBe(false)
    settle()
    await stopping
    expect(stopped).toBe(true)
  })
})

describe('checkPortConfig', () => {
  it('refuses an entry with neither path nor match, or a bad baud rate', () => {
    for (const cfg of [{}, { path: '/dev/a', baudRate: 0 }, { match: { paths: ['/dev/x*'] }, baudRate: 1.5 }])
      expect(() => checkPortConfig('serial connector: port 0', cfg)).toThrow(
        expect.objectContaining({ code: 'STELE_CONFIG' }),
      )
    expect(() => checkPortConfig('x', { path: '/dev/a', baudRate: 9600 })).not.toThrow()
  })
})
