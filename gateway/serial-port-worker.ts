import { realpathSync } from 'node:fs'
import type { Logger } from '../core/logger.ts'
import type { Reading } from '../core/reading.ts'
import { encodeFrame, scaleRaw } from '../firmware-bridge/frame-codec.ts'
import { FrameDecoder } from '../firmware-bridge/frame-decoder.ts'
import {
  ACK_FLAG_HELLO_REQUEST,
  ACK_FLAG_SEQ_VALID,
  type DataFrame,
  type Frame,
} from '../firmware-bridge/frame-types.ts'
import type { OpenSerial, SerialLink } from '../firmware-bridge/serial-link.ts'
import type { Timers } from '../firmware-bridge/timers.ts'
import type { ReadingSink } from './connector.ts'
import { type DiscoveryOptions, findCandidates, type SerialMatch } from './serial-discovery.ts'
import { type BackoffOptions, reconnectLoop } from './serial-reconnect.ts'
import { BoardSession } from './serial-session.ts'

/** One board the connector looks after: where to find it and how fast it talks. */
export interface SerialPortConfig {
  /** Label in logs and status; defaults to the board id or path. */
  name?: string
  /** Tried first when it exists. */
  path?: string
  /** How to find the board elsewhere (it was renamed, or no path is known). */
  match?: SerialMatch & {
    /** Only a board whose HELLO carries this id is accepted on this port. */
    boardId?: string
  }
  baudRate?: number
}

export interface PortStatus {
  name: string
  path: string | null
  connected: boolean
  boardId: string | null
  boot: number | null
  frames: number
  readings: number
  crcErrors: number
  oversize: number
  malformed: number
  /** Resends of frames already delivered: dropped, re-acknowledged. */
  duplicates: number
  /** Frames that arrived before an earlier, still missing one: buffered (or dropped when too far ahead). */
  outOfOrder: number
  /** Frames the board dropped before the gateway got them (counted by sequence gap). */
  lost: number
  /** Data frames that arrived before a HELLO said whose they were. */
  unannounced: number
  /** Data frames refused while the sink was too far behind (backpressure; the board resends). */
  deferred: number
  pushErrors: number
  connects: number
  lastFrameAt: number | null
  lastError: string | null
}

export interface WorkerDeps {
  sink: ReadingSink
  log: Logger
  timers: Timers
  random: () => number
  openSerial: OpenSerial
  discovery: DiscoveryOptions
  /** Paths held by any worker of the connector, so two workers never open the same device. */
  claimed: Set<string>
  backoff: BackoffOptions
  helloRetryMs: number
  helloTimeoutMs: number
  maxPendingFrames: number
}

interface Batch {
  session: BoardSession
  boot: number
  lastSeq: number
  frames: number
  readings: Reading[]
}

type Outcome = 'healthy' | 'unhealthy' | 'mismatch' | 'silent'

const SYNC = new Uint8Array([0])

/** The device behind a path (by-id links and /dev/ttyACM0 name the same board); the path itself if not a file. */
export function deviceKey(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

/** Connects one configured board, reconnecting forever; decodes, dedupes, delivers, acknowledges. */
export class SerialPortWorker {
  readonly name: string
  private readonly st: PortStatus
  private readonly sessions = new Map<string, BoardSession>()
  private session: BoardSession | null = null
  private link: SerialLink | null = null
  private batches: Batch[] = []
  private inflight: Promise<void> | null = null

  constructor(
    private readonly cfg: SerialPortConfig,
    private readonly d: WorkerDeps,
  ) {
    this.name = cfg.name ?? cfg.match?.boardId ?? cfg.path ?? 'serial'
    this.st = {
      name: this.name,
      path: null,
      connected: false,
      boardId: null,
      boot: null,
      frames: 0,
      readings: 0,
      crcErrors: 0,
      oversize: 0,
      malformed: 0,
      duplicates: 0,
      outOfOrder: 0,
      lost: 0,
      unannounced: 0,
      deferred: 0,
      pushErrors: 0,
      connects: 0,
      lastFrameAt: null,
      lastError: null,
    }
  }

  status(): PortStatus {
    const s = this.session
    return {
      ...this.st,
      boot: s?.boot ?? null,
      lost: [...this.sessions.values()].reduce((n, x) => n + x.lost, 0),
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    await reconnectLoop({
      name: this.name,
      signal,
      timers: this.d.timers,
      random: this.d.random,
      backoff: this.d.backoff,
      log: this.d.log,
      connect: (sig) => this.connectOnce(sig),
    })
    // Let an in-flight push settle so stop() returns with nothing of ours still running.
    await this.inflight
  }

  private async candidates(): Promise<string[]> {
    const out: string[] = []
    // The configured path is always tried: opening a missing one fails fast, and an injected opener (the
    // in-process link) has paths the filesystem does not know.
    if (this.cfg.path) out.push(this.cfg.path)
    if (this.cfg.match) out.push(...(await findCandidates(this.cfg.match, this.d.discovery)))
    return [...new Set(out)].filter((p) => !this.d.claimed.has(deviceKey(p)))
  }

  private async connectOnce(signal: AbortSignal): Promise<boolean> {
    const candidates = await this.candidates()
    if (candidates.length === 0) {
      this.st.lastError = `no device at ${this.cfg.path ?? 'any matching path'}`
      return false
    }
    for (const path of candidates) {
      if (signal.aborted) return false
      let link: SerialLink
      try {
        link = await this.d.openSerial({ path, baudRate: this.cfg.baudRate ?? 115_200 }, { signal })
      } catch (err) {
        this.st.lastError = err instanceof Error ? err.message : String(err)
        continue
      }
      const key = deviceKey(path)
      this.d.claimed.add(key)
      try {
        const outcome = await this.serve(link, signal)
        if (outcome === 'healthy' || outcome === 'unhealthy') return outcome === 'healthy'
      } finally {
        this.d.claimed.delete(key)
        await link.close()
      }
    }
    return false
  }

  /** Serves one open line until it closes (or turns out to be the wrong board, or stays silent). */
  private serve(link: SerialLink, signal: AbortSignal): Promise<Outcome> {
    const { timers, log } = this.d
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
        const newBoot = session.onHello(f, ready)
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
        if (this.pendingFrames() >= this.d.maxPendingFrames) {
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
    const s = this.session
    let flags = helloRequest ? ACK_FLAG_HELLO_REQUEST : 0
    if (s?.durable != null) flags |= ACK_FLAG_SEQ_VALID
    const frame = encodeFrame({ type: 'ack', boot: s?.boot ?? 0, ackSeq: s?.durable ?? 0, flags })
    if (link.stream.destroyed || !link.stream.writable) return
    // The sync byte first, as boards do: whatever half-frame the board's decoder holds cannot swallow the ACK.
    link.stream.write(SYNC)
    link.stream.write(frame)
  }

  private pendingFrames(): number {
    let n = 0
    for (const b of this.batches) n += b.frames
    return n
  }

  private enqueue(session: BoardSession, f: DataFrame): void {
    const readings: Reading[] = []
    for (const s of f.samples) {
      const info = session.sensors[s.sensor]
      if (!info) {
        this.st.malformed++
        continue
      }
      readings.push({
        device: session.boardId,
        sensor: info.name,
        value: scaleRaw(s.raw, info.exponent),
        unit: info.unit === '' ? undefined : info.unit,
        deviceSeq: f.seq,
        deviceTime: f.uptimeMs,
        source: 'serial',
      })
    }
    const last = this.batches.at(-1)
    if (last && last.session === session && last.boot === f.boot) {
      last.readings.push(...readings)
      last.lastSeq = f.seq
      last.frames++
    } else {
      this.batches.push({ session, boot: f.boot, lastSeq: f.seq, frames: 1, readings })
    }
    this.flush()
  }

  /** One push at a time, in order; what arrives meanwhile is batched into the next push. */
  private flush(): void {
    if (this.inflight) return
    const b = this.batches.shift()
    if (!b) return
    const pushed = b.readings.length > 0 ? this.d.sink.push(b.readings) : Promise.resolve()
    this.inflight = pushed
      .then(
        () => {
          b.session.commit(b.boot, b.lastSeq)
          this.st.readings += b.readings.length
          // Acknowledge only now: the readings are durable, so the board may forget them.
          if (this.link && this.session === b.session) this.sendAck(this.link, false)
        },
        (err: unknown) => {
          this.st.pushErrors++
          this.st.lastError = err instanceof Error ? err.message : String(err)
          this.d.log.error(
            { port: this.name, err: this.st.lastError },
            'sink refused serial readings; the board will resend',
          )
          b.session.rollback(b.boot)
          // Later frames of that boot were accepted after the failed ones: drop them too, they come again in order.
          this.batches = this.batches.filter((x) => !(x.session === b.session && x.boot === b.boot))
        },
      )
      .finally(() => {
        this.inflight = null
        this.flush()
      })
  }
}
