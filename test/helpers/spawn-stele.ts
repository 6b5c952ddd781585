import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/stele.js', import.meta.url))

export interface SteleProcess {
  child: ChildProcess
  /** Every JSON log line seen so far. */
  lines: { [k: string]: unknown }[]
  /** Resolves with the first log line matching `pred`, failing after `ms` or if the process exits. */
  waitFor(
    pred: (line: { [k: string]: unknown }) => boolean,
    what: string,
    ms?: number,
  ): Promise<{ [k: string]: unknown }>
  exited: Promise<number | null>
  stderr(): string
  kill(signal?: NodeJS.Signals): Promise<number | null>
}

/** Spawns the real `stele` command with JSON logs and follows its output. */
export function spawnStele(args: string[], env: NodeJS.ProcessEnv = {}): SteleProcess {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: { [k: string]: unknown }[] = []
  const waiters = new Set<() => void>()
  let err = ''
  child.stderr!.on('data', (d) => {
    err += d
  })
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l))
    } catch {
      lines.push({ msg: l })
    }
    for (const w of waiters) w()
  })
  let exitCode: number | null | undefined
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code
      resolve(code)
      for (const w of [...waiters]) w()
    }),
  )
  return {
    child,
    lines,
    exited,
    stderr: () => err,
    waitFor(pred, what, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(pred)
          if (hit) {
            done()
            resolve(hit)
          } else if (exitCode !== undefined) {
            done()
            reject(new Error(`stele exited (${exitCode}) before ${what}: ${err.slice(-2000)}`))
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`timed out waiting for ${what}; stderr: ${err.slice(-2000)}`))
        }, ms)
        const done = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}
