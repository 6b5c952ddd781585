// Time from `stele start` (node, embedded broker, gateway and simulated fleet, on a fresh data folder) to the first
// confirmed reading served by the API, beside the time a bare Node process takes to serve its first fastify response.
//   node --import tsx bench/startup.bench.ts [--quick]
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { tempDir } from '../test/helpers/tmp.ts'
import { printTable } from './table.ts'

const quick = process.argv.includes('--quick')
const RUNS = quick ? 2 : 4
const root = new URL('..', import.meta.url).pathname

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 5000).unref()
  })
}

/** Resolves with the first JSON log line carrying a `url`. */
function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (l) => {
      try {
        const j = JSON.parse(l) as { url?: string }
        if (j.url?.startsWith('http')) resolve(j.url)
      } catch {}
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening`)))
  })
}

async function firstConfirmed(url: string, t0: number): Promise<number> {
  for (;;) {
    if (performance.now() - t0 > 30_000) throw new Error('no confirmed reading within 30 s')
    const devices = (await (await fetch(`${url}/v1/devices`)).json()) as { items: { device: string }[] }
    for (const { device } of devices.items) {
      const page = (await (await fetch(`${url}/v1/devices/${device}/readings?limit=1`)).json()) as {
        items: { status: string }[]
      }
      if (page.items[0]?.status === 'confirmed') return performance.now() - t0
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function steleStart(): Promise<number> {
  const dir = await tempDir('bench-start-')
  const t0 = performance.now()
  const child = spawn(
    process.execPath,
    [`${root}bin/stele.js`, 'start', '--data', dir.path, '--port', '0', '--mqtt-port', '0', '--json'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  )
  try {
    return await firstConfirmed(await listening(child), t0)
  } finally {
    await stop(child)
    await dir.cleanup()
  }
}

async function bareFastify(): Promise<number> {
  const t0 = performance.now()
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const app = (await import('fastify')).default(); app.get('/', async () => ({ ok: true })); console.log(JSON.stringify({ url: await app.listen({ port: 0, host: '127.0.0.1' }) }))",
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] },
  )
  try {
    const url = await listening(child)
    await (await fetch(url)).json()
    return performance.now() - t0
  } finally {
    await stop(child)
  }
}

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const stele: number[] = []
const bare: number[] = []
for (let i = 0; i < RUNS; i++) {
  stele.push(await steleStart())
  bare.push(await bareFastify())
}
const s = median(stele)
printTable('start-up', [
  {
    benchmark: 'stele start to first confirmed reading',
    unit: 'ms',
    stele: s,
    ceiling: median(bare),
    peer: '(bare node + fastify, first response)',
    target: '< 3,000 ms',
    met: s < 3000,
  },
])
console.log(`runs: stele ${stele.map(Math.round).join(', ')} ms; bare ${bare.map(Math.round).join(', ')} ms`)
