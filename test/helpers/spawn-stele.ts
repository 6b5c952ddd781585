import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { until } from './wait.ts'

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
  let err = ''
  child.stderr!.on('data', (d) => {
    err += d
  })
  const out = createInterface({ input: child.stdout! })
  out.on('line', (l) => {
    try {
      lines.push(JSON.parse(l))
    } catch {
      lines.push({ msg: l })
    }
  })
  let exitCode: number | null | undefined
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code
      resolve(code)
    }),
  )
  return {
    child,
    lines,
    exited,
    stderr: () => err,
    waitFor(pred, what, ms = 20_000) {
      return until(
        () => {
          const hit = lines.find(pred)
          if (hit) return hit
          if (exitCode !== undefined)
            throw new Error(`stele exited (${exitCode}) before ${what}: ${err.slice(-2000)}`)
          return undefined
        },
        {
          what,
          timeoutMs: ms,
          on: [
            [out, 'line'],
            [child, 'exit'],
          ],
          everyMs: 100,
          detail: () => `stderr: ${err.slice(-2000)}`,
        },
      )
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/** `stele start` as the e2e and browser tests run it: ephemeral ports, 5 readings/s per device, 300 ms blocks. */
export function startArgs(dataDir: string, ...extra: string[]): string[] {
  return [
    'start',
    '--data',
    dataDir,
    '--port',
    '0',
    '--mqtt-port',
    '0',
    '--rate',
    '5',
    '--block-interval',
    '300',
    ...extra,
  ]
}

/** The node's log line with its HTTP address (the embedded broker logs a `url` too, an mqtt:// one). */
export function waitForNode(p: SteleProcess, ms?: number): Promise<{ [k: string]: unknown }> {
  return p.waitFor((l) => String(l['url']).startsWith('http'), 'the node listening', ms)
}
