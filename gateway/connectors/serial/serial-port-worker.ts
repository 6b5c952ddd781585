export type { PortStatus, SerialPortConfig } from './serial-port-status.ts'

import type { Logger } from '../../../core/logger.ts'
import type { Timers } from '../../../core/timers.ts'
import { FrameDecoder } from '../../../firmware-bridge/frame-decoder.ts'
import type { DataFrame, Frame } from '../../../firmware-bridge/frame-types.ts'
import type { SerialLink } from '../../../firmware-bridge/serial-link.ts'
import type { ReadingSink } from '../connector.ts'
import { PortWorker, type PortWorkerComponents, type ServeOutcome } from '../port-worker.ts'
import { ackBytes, markSource, readingsOf, SerialDelivery } from './serial-delivery.ts'
import { initialPortStatus, type PortStatus, type SerialPortConfig } from './serial-port-status.ts'
import { BoardSession } from './serial-session.ts'

export interface SerialServeOptions {
  sink: ReadingSink
  helloRetryMs: number
  helloTimeoutMs: number
  maxPendingFrames: number
}

type Outcome = 'healthy' | 'unhealthy' | 'mismatch' | 'silent'

/**
 * One configured line-protocol board: a PortWorker finds, opens and reopens its port; this class serves each open
 * line (decodes, dedupes, delivers, acknowledges).
 */
export class SerialPortWorker {
  readonly name: string
  private readonly st: PortStatus
  private readonly sessions = new Map<string, BoardSession>()
  private session: BoardSession | null = null
  private link: SerialLink | null = null
  private readonly delivery: SerialDelivery
  private readonly port: PortWorker
  private readonly log: Logger
  private readonly timers: Timers

  constructor(
    private readonly cfg: SerialPortConfig,
    private readonly d: SerialServeOptions,
    c: PortWorkerComponents,
  ) {
    this.name = cfg.name ?? cfg.match?.boardId ?? cfg.path ?? 'serial'
    this.st = initialPortStatus(this.name)
    this.log = c.log
    this.timers = c.timers
    this.delivery = new SerialDelivery(d.sink, {
      durable: (session, readings) => {
        this.st.readings += readings
        // Acknowledge only now: the readings are durable, so the board may forget them.
        if (this.link && this.session === session) this.sendAck(this.link, false)
      },
      failed: (err) => {
        this.st.pushErrors++
        this.st.lastError = err instanceof Error ? err.message : String(err)
        c.log.error(
          { port: this.name, err: this.st.lastError },
          'sink refused serial readings; the board will resend',
        )
      },
    })
    this.port = new PortWorker(
      {
        name: this.name,
        path: cfg.path,
        match: cfg.match,
        baudRate: cfg.baudRate ?? 115_200,
        status: this.st,
        serve: (link, signal) => this.serve(link, signal).then(toServeOutcome),
        idle: () => this.delivery.idle,
      },
      c,
    )
  }

  status(): PortStatus {
    const s = this.session
    return {
      ...this.st,
      boot: s?.boot ?? null,
      lost: [...this.sessions.values()].reduce((n, x) => n + x.lost, 0),
    }
  }

  start(opts?: { signal?: AbortSignal | undefined }): void {
    this.port.start(opts)
  }

  stop(): Promise<void> {
    return this.port.stop()
  }

  /** Serves one open line until it closes (or turns out to be the wrong board, or stays silent). */
  private serve(link: SerialLink, signal: AbortSignal): Promise<Outcome> {
    const { timers, log } = this
    const wantId = this.cfg.match?.boardId
    const openedAt = timers.now()
    let healthy = false
    let wantHello = true
    let lastHelloAt = Number.NEGATIVE_INFINITY
    let ackDue = false
    let helloTimer: unknown = null
    this.session = null
    this.link = link
    this.st.path = link.path
    this.st.connects++

    return new Promise<Outcome>((resolve) => {
      let done = false
      const finish = (outcome: Outcome, why: string): void => {
        if (done) return
        done = true
        if (helloTimer !== null) timers.clear(helloTimer)
        link.stream.off('data', onData)
        link.stream.off('close', onClose)
        signal.removeEventListener('abort', onAbort)
        if (this.link === link) this.link = null
        if (this.st.connected)
          log.warn(
            { port: this.name, path: link.path, boardId: this.st.boardId },
            `serial board disconnected: ${why}`,
          )
        this.st.connected = false
        resolve(outcome)
      }

      const requestHello = (): void => {
        const now = timers.now()
        if (now - lastHelloAt < this.d.helloRetryMs / 2) return
        lastHelloAt = now
        this.sendAck(link, true)
      }

      const onHello = (f: Extract<Frame, { type: 'hello' }>): void => {
        if (wantId !== undefined && f.boardId !== wantId) {
          log.warn(
            { port: this.name, path: link.path, boardId: f.boardId, want: wantId },
            'serial port has another board',
          )
          finish('mismatch', `board ${f.boardId} is not ${wantId}`)
          return
        }
        let session = this.sessions.get(f.boardId)
        if (!session) {
          session = new BoardSession(f.boardId)
          this.sessions.set(f.boardId, session)
        }
        const ready: DataFrame[] = []
        const newBoot = session.onHello(f, ready, this.d.sink.mark?.(markSource(f.boardId)))
        for (const r of ready) this.enqueue(session, r)
        this.session = session
        wantHello = false
        healthy = true
        if (!this.st.connected || this.st.boardId !== f.boardId || newBoot) {
          log.info(
            {
              port: this.name,
              path: link.path,
              boardId: f.boardId,
              boot: f.boot,
              firmware: f.firmware,
              sensors: f.sensors.length,
            },
            newBoot && session.reboots > 0 ? 'serial board rebooted' : 'serial board connected',
          )
        }
        this.st.connected = true
        this.st.boardId = f.boardId
        ackDue = true
      }

      const onData = (chunk: Uint8Array): void => {
        decoder.push(chunk)
        if (done) return
        if (wantHello) requestHello()
        if (ackDue) {
          ackDue = false
          this.sendAck(link, false)
        }
      }

      const onFrame = (f: Frame): void => {
        if (done) return
        this.st.frames++
        this.st.lastFrameAt = timers.now()
        if (f.type === 'hello') {
          onHello(f)
          return
        }
        if (f.type !== 'data') return
        const session = this.session
        if (!session) {
          this.st.unannounced++
          return
        }
        if (this.delivery.pendingFrames >= this.d.maxPendingFrames) {
          this.st.deferred++
          return
        }
        const ready: DataFrame[] = []
        const verdict = session.onData(f, ready)
        for (const r of ready) this.enqueue(session, r)
        if (verdict === 'duplicate') {
          this.st.duplicates++
          ackDue = true
        } else if (verdict === 'ahead' || verdict === 'buffered') this.st.outOfOrder++
        // A malformed frame is not acknowledged: the board resends it (protocol-serial §2).
        else if (verdict === 'malformed') this.st.malformed++
        else if (verdict === 'unknown-boot') {
          this.st.unannounced++
          wantHello = true
        }
      }

      const decoder = new FrameDecoder({
        onFrame,
        onError: (kind) => {
          if (kind === 'crc') this.st.crcErrors++
          else if (kind === 'oversize') this.st.oversize++
          else this.st.malformed++
        },
      })

      const onClose = (): void => finish(healthy ? 'healthy' : 'unhealthy', 'line closed')
      const onAbort = (): void => finish('unhealthy', 'stopping')

      // Until a HELLO says which board this is, ask again periodically: a board may be booting (an Uno resets
      // when the port opens) or the request may have been lost. Matching by id gives up after helloTimeoutMs.
      const tick = (): void => {
        helloTimer = null
        if (done) return
        if (wantHello) {
          if (
            wantId !== undefined &&
            !this.st.connected &&
            timers.now() - openedAt >= this.d.helloTimeoutMs
          ) {
            finish('silent', `no HELLO within ${this.d.helloTimeoutMs} ms`)
            return
          }
          requestHello()
        }
        helloTimer = timers.set(tick, this.d.helloRetryMs)
      }

      link.stream.on('data', onData)
      link.stream.once('close', onClose)
      signal.addEventListener('abort', onAbort, { once: true })
      if (signal.aborted || link.stream.destroyed) return finish('unhealthy', 'closed before serving')
      requestHello()
      helloTimer = timers.set(tick, this.d.helloRetryMs)
    })
  }

  private sendAck(link: SerialLink, helloRequest: boolean): void {
    if (!link.stream.destroyed && link.stream.writable)
      link.stream.write(ackBytes(this.session, helloRequest))
  }

  private enqueue(session: BoardSession, f: DataFrame): void {
    const { readings, unknown } = readingsOf(session, f)
    this.st.malformed += unknown
    this.delivery.add(session, f, readings)
  }
}

/** Another board on the port, or none that answers: the next candidate path may be the one. */
const toServeOutcome = (o: Outcome): ServeOutcome => (o === 'mismatch' || o === 'silent' ? 'next' : o)
