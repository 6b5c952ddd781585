// Peers the benchmarks compare against, started on loopback for one run and stopped after. Missing ones are
// installed the ordinary way (apt-get from Debian, npm into a temp folder, never into this project) and reported
// with the reason when that is not possible here.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'

export class PeerUnavailable extends Error {}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: `${stdout}${stderr}`.trim() }),
    )
  })
}

async function which(cmd: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin']))
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd)
  return undefined
}

/** The path of `cmd`, installing Debian's `pkg` first when it is missing (the bench says so on stdout). */
export async function ensureDebian(cmd: string, pkg: string): Promise<string> {
  const have = await which(cmd)
  if (have) return have
  console.log(`${cmd} not found: apt-get install ${pkg}`)
  if (process.getuid?.() !== 0) throw new PeerUnavailable(`${pkg} is not installed and apt-get needs root`)
  // Never start the packaged service: the bench starts its own on loopback.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' }
  const install = await new Promise<{ ok: boolean; out: string }>((resolve) =>
    execFile('apt-get', ['install', '-y', '-q', pkg], { env, timeout: 240_000 }, (err, o, e) =>
      resolve({ ok: !err, out: `${o}${e}` }),
    ),
  )
  const path = await which(cmd)
  if (!path)
    throw new PeerUnavailable(`apt-get install ${pkg} failed: ${install.out.split('\n').slice(-2).join(' ')}`)
  return path
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

export interface Peer {
  url: string
  pid: number
  stop(): Promise<void>
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 5000).unref()
    })
}

async function until(what: string, check: () => Promise<boolean>, ms: number, child: ChildProcess) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new PeerUnavailable(`${what} exited with code ${child.exitCode}`)
    if (await check().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new PeerUnavailable(`${what} did not come up within ${ms} ms`)
}

/** InfluxDB 1.x from Debian, on loopback, with its data in `dir`. */
export async function startInflux(dir: string): Promise<Peer> {
  const bin = await ensureDebian('influxd', 'influxdb')
  const [http, rpc] = [await freePort(), await freePort()]
  for (const d of ['meta', 'data', 'wal']) await mkdir(join(dir, d), { recursive: true })
  const conf = join(dir, 'influxdb.conf')
  await writeFile(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpc}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${http}"`,
      '  log-enabled = false',
      '  max-body-size = 0',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '',
    ].join('\n'),
  )
  const child = spawn(bin, ['-config', conf], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${http}`
  await until('influxd', async () => (await fetch(`${url}/ping`)).status === 204, 30_000, child)
  return { url, pid: child.pid!, stop: stopper(child) }
}

/** Mosquitto from Debian on loopback, with queues large enough that QoS 1 messages to a slow subscriber are kept. */
export async function startMosquitto(dir: string): Promise<Peer> {
  const bin = await ensureDebian('mosquitto', 'mosquitto')
  const port = await freePort()
  await mkdir(dir, { recursive: true })
  const conf = join(dir, 'mosquitto.conf')
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // The default of 1000 silently drops QoS 1 messages queued for a slow subscriber.
      'max_queued_messages 0',
      'max_inflight_messages 0',
      'log_type none',
      '',
    ].join('\n'),
  )
  const child = spawn(bin, ['-c', conf], { stdio: 'ignore' })
  const url = `mqtt://127.0.0.1:${port}`
  const { connect } = await import('node:net')
  await until(
    'mosquitto',
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.destroy()
          resolve(true)
        })
        s.on('error', () => resolve(false))
      }),
    10_000,
    child,
  )
  return { url, pid: child.pid!, stop: stopper(child) }
}

/** Node-RED 4.1.x installed with npm into `dir` (not into this project); returns its red.js. */
export async function ensureNodeRed(dir: string): Promise<string> {
  const red = join(dir, 'node_modules', 'node-red', 'red.js')
  if (existsSync(red)) return red
  console.log(`node-red not found: npm install --prefix ${dir} node-red@4.1`)
  await mkdir(dir, { recursive: true })
  const r = await run(
    'npm',
    ['install', '--prefix', dir, '--no-audit', '--no-fund', '--omit=dev', 'node-red@4.1'],
    300_000,
  )
  if (!existsSync(red))
    throw new PeerUnavailable(`npm install node-red@4.1 failed: ${r.out.split('\n').slice(-3).join(' ')}`)
  return red
}
