// Stele deployed as users run it on two machines' worth of processes: a real `stele node` and a real `stele gateway`
// (bin/stele.js, each its own process), the gateway key made and registered up front as an operator would.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { freePort } from './peers.ts'
import { threadTicks } from './thread-ticks.ts'

const BIN = fileURLToPath(new URL('../../bin/stele.js', import.meta.url))
// Node flags for the two processes, e.g. STELE_BENCH_EXEC_ARGV="--cpu-prof --cpu-prof-dir=prof" to profile them
// (NODE_OPTIONS refuses --cpu-prof).
const EXEC_ARGV = (process.env['STELE_BENCH_EXEC_ARGV'] ?? '').split(' ').filter(Boolean)

interface SteleProcess {
  child: ChildProcess
  stderr(): string
  /** Resolves once a JSON log line has msg `msg`; fails if the process exits first. */
  logged(msg: string, ms: number): Promise<void>
  kill(): Promise<void>
}

function spawnStele(args: string[], env: NodeJS.ProcessEnv = {}): SteleProcess {
  const child = spawn(process.execPath, [...EXEC_ARGV, BIN, ...args, '--json'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  child.stderr!.on('data', (d) => {
    err += d
  })
  const seen = new Set<string>()
  const waiters: (() => void)[] = []
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      seen.add(String((JSON.parse(l) as { msg?: unknown }).msg))
    } catch {}
    for (const w of waiters.splice(0)) w()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    stderr: () => err,
    logged: (msg, ms) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stele ${args[0]}: no '${msg}' within ${ms} ms`)), ms)
        const check = () => {
          if (seen.has(msg)) {
            clearTimeout(timer)
            resolve()
          } else waiters.push(check)
        }
        void exited.then(() => {
          clearTimeout(timer)
          reject(new Error(`stele ${args[0]} exited: ${err.slice(-1000)}`))
        })
        check()
      }),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

function stele(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, out, errOut) =>
      err ? reject(new Error(`stele ${args[0]} failed: ${errOut || err.message}`)) : resolve(out),
    ),
  )
}

export interface SteleSplit {
  nodeUrl: string
  /**
   * Records the node accepted from the gateway: its tip's next record sequence, one cheap route polled every 20 ms
   * (not /metrics, whose default process metrics cost the node ~3% of a core at that rate).
   */
  records(): Promise<number>
  /** Transactions waiting for a block. */
  pending(): Promise<number>
  /** CPU ticks (10 ms) so far of each process, all its threads (0 off Linux). */
  ticks(): { gateway: number; node: number }
  stop(): Promise<void>
}

async function height(nodeUrl: string): Promise<number> {
  const r = (await (await fetch(`${nodeUrl}/v1/health`)).json()) as { height: number }
  return r.height
}

export async function startSteleSplit(dir: string, brokerUrl: string): Promise<SteleSplit> {
  const port = await freePort()
  const nodeUrl = `http://127.0.0.1:${port}`
  const procs: SteleProcess[] = []
  const pids = { gateway: 0, node: 0 }
  let gatewayKey = ''
  const stop = async () => {
    for (const p of procs.reverse()) await p.kill()
  }
  try {
    const node = spawnStele(['node', '--data', dir, '--port', String(port), '--block-interval', '100'], {
      STELE_LOG: 'warn',
    })
    procs.push(node)
    pids.node = node.child.pid ?? 0
    // At level warn the listening line is not logged: poll the health route instead.
    const deadline = Date.now() + 60_000
    for (;;) {
      if (node.child.exitCode !== null) throw new Error(`stele node exited: ${node.stderr().slice(-1000)}`)
      if (Date.now() > deadline) throw new Error('stele node did not answer within 60 s')
      if ((await height(nodeUrl).catch(() => null)) !== null) break
      await new Promise((r) => setTimeout(r, 100))
    }
    await mkdir(join(dir, 'gateway'), { recursive: true })
    const keyFile = join(dir, 'gateway', 'gateway.key')
    const key = /public key ([0-9a-f]{64})/.exec(await stele(['keys', 'new', '--out', keyFile]))![1]!
    gatewayKey = key
    const h0 = await height(nodeUrl)
    await stele([
      'gateway',
      'register',
      '--node',
      nodeUrl,
      '--key',
      key,
      '--authority',
      join(dir, 'node', 'node.key'),
    ])
    // The registration is in a block once the chain moved past it and nothing is pending (no empty blocks are made).
    for (;;) {
      const h = (await (await fetch(`${nodeUrl}/v1/health`)).json()) as { height: number; pending: number }
      if (h.height > h0 && h.pending === 0) break
      await new Promise((r) => setTimeout(r, 50))
    }
    const gateway = spawnStele(['gateway', '--node', nodeUrl, '--mqtt', brokerUrl, '--data', dir])
    procs.push(gateway)
    pids.gateway = gateway.child.pid ?? 0
    await gateway.logged('gateway running', 60_000)
  } catch (e) {
    await stop()
    throw e
  }
  return {
    nodeUrl,
    async records() {
      const tip = (await (await fetch(`${nodeUrl}/v1/gateways/${gatewayKey}`)).json()) as {
        nextRecordSeq: number
      }
      return tip.nextRecordSeq - 1
    },
    async pending() {
      return ((await (await fetch(`${nodeUrl}/v1/health`)).json()) as { pending: number }).pending
    },
    ticks() {
      const all = (pid: number) => {
        const t = threadTicks(pid)
        return t.main + t.other
      }
      return { gateway: all(pids.gateway), node: all(pids.node) }
    },
    stop,
  }
}
