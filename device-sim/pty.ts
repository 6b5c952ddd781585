import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants, existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { SteleError } from '../core/errors.ts'

/**
 * Real pseudo-terminal pairs made by socat, so a simulated board sits behind a device path that the gateway
 * opens with serialport exactly as it opens /dev/ttyACM0. Bytes written to one end come out of the other.
 * Killing socat removes both paths, which is how the simulator unplugs a board.
 */
export interface PtyPair {
  /** The stable names (symlinks) to open: `a` for the gateway, `b` for the board, by convention. */
  readonly a: string
  readonly b: string
  /** The /dev/pts devices behind them. */
  readonly ptsA: string
  readonly ptsB: string
  readonly pid: number
  /** Resolves when socat has exited and its links are gone. */
  readonly exited: Promise<void>
  /** Kills socat (both paths disappear); idempotent. */
  close(): Promise<void>
}

export type PtySupport = { ok: true; socat: string } | { ok: false; reason: string; hint: string }

const HINT =
  'install socat (Debian/Ubuntu: apt-get install socat; macOS: brew install socat) for real pseudo-terminals'

/** Finds socat on PATH (or at `socatPath`); `stele start` falls back to an in-process link when it is missing. */
export function hasPtySupport(socatPath?: string): PtySupport {
  if (process.platform === 'win32')
    return { ok: false, reason: 'pseudo-terminals are not available on Windows', hint: HINT }
  const candidates = socatPath
    ? [socatPath]
    : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'socat'))
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK)
      return { ok: true, socat: c }
    } catch {}
  }
  return { ok: false, reason: 'socat not found on PATH', hint: HINT }
}

// Children still running when the process exits are killed, so no socat outlives a test run or `stele start`.
const live = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL')
  })
}

export interface CreatePtyPairOptions {
  /** Folder for the links; a fresh temporary folder when omitted. */
  dir?: string
  /** Link names inside `dir`; default 'a' and 'b'. */
  names?: [string, string]
  socatPath?: string
  signal?: AbortSignal
  /** How long socat may take to create both ptys. */
  readyTimeoutMs?: number
}

export function createPtyPair(opts: CreatePtyPairOptions = {}): Promise<PtyPair> {
  const support = hasPtySupport(opts.socatPath)
  if (!support.ok)
    return Promise.reject(new SteleError('STELE_UNAVAILABLE', `${support.reason}; ${support.hint}`))
  if (opts.signal?.aborted) return Promise.reject(new SteleError('STELE_UNAVAILABLE', 'socat: aborted'))
  const ownDir = opts.dir === undefined
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'stele-pty-'))
  const [na, nb] = opts.names ?? ['a', 'b']
  const a = join(dir, na)
  const b = join(dir, nb)
  if (existsSync(a) || existsSync(b))
    return Promise.reject(new SteleError('STELE_CONFIG', `pty link ${a} or ${b} already exists`))
  // -d -d makes socat log "starting data transfer loop" once both ptys exist: a readiness event, not a poll.
  const child = spawn(support.socat, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  track(child)
  const exited = new Promise<void>((res) => {
    if (child.exitCode !== null || child.signalCode !== null) res()
    else child.once('exit', () => res())
  })
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    if (ownDir) rmSync(dir, { recursive: true, force: true })
  }
  return new Promise<PtyPair>((resolve, reject) => {
    let log = ''
    const fail = (why: string): void => {
      cleanup()
      void close()
      reject(
        new SteleError(
          'STELE_UNAVAILABLE',
          `socat: ${why}${log ? `: ${log.trim().split('\n').slice(-2).join(' | ')}` : ''}`,
        ),
      )
    }
    const onData = (d: Buffer): void => {
      log += d.toString()
      if (log.length > 8192) log = log.slice(-4096)
      if (!log.includes('starting data transfer loop')) return
      cleanup()
      resolve({ a, b, ptsA: readlinkSync(a), ptsB: readlinkSync(b), pid: child.pid ?? -1, exited, close })
    }
    const onExit = (): void => fail('exited before the ptys were ready')
    const onError = (e: Error): void => fail(e.message)
    const onAbort = (): void => fail('aborted')
    const timer = setTimeout(() => fail('timed out waiting for the ptys'), opts.readyTimeoutMs ?? 5000)
    const cleanup = (): void => {
      clearTimeout(timer)
      child.stderr?.off('data', onData)
      child.off('exit', onExit)
      child.off('error', onError)
      opts.signal?.removeEventListener('abort', onAbort)
      // Keep draining stderr so socat never blocks on a full pipe.
      child.stderr?.resume()
    }
    child.stderr?.on('data', onData)
    child.once('exit', onExit)
    child.once('error', onError)
    if (opts.signal?.aborted) onAbort()
    else opts.signal?.addEventListener('abort', onAbort, { once: true })
  })
}
