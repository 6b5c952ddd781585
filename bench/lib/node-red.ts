// Node-RED 4.1 as a contestant: a flow MQTT in (QoS 1) -> JSON -> file, timed until every message is a line.
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../../test/helpers/tmp.ts'
import { type E2eConfig, type Load, measure, type Phase } from './e2e-measure.ts'
import { freePort, PeerUnavailable } from './peers.ts'

/** Node-RED with a flow MQTT in (QoS 1) -> JSON -> file (one line per message), on `brokerUrl`. */
async function startNodeRed(
  redJs: string,
  dir: string,
  brokerUrl: string,
): Promise<{ out: string; child: ChildProcess }> {
  const user = join(dir, 'user')
  await mkdir(user, { recursive: true })
  const out = join(dir, 'messages.jsonl')
  const { hostname, port } = new URL(brokerUrl)
  // Node ids must not equal any property value (such values are read as references to config nodes).
  const flows = [
    { id: 'n-tab', type: 'tab', label: 'bench' },
    {
      id: 'n-broker',
      type: 'mqtt-broker',
      broker: hostname,
      port,
      clientid: 'bench-node-red',
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: false,
    },
    {
      id: 'n-in',
      type: 'mqtt in',
      z: 'n-tab',
      topic: 'stele/+/+',
      qos: '1',
      datatype: 'utf8',
      broker: 'n-broker',
      wires: [['n-json']],
    },
    { id: 'n-json', type: 'json', z: 'n-tab', property: 'payload', action: 'obj', wires: [['n-file']] },
    {
      id: 'n-file',
      type: 'file',
      z: 'n-tab',
      filename: out,
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'none',
      wires: [],
    },
  ]
  await writeFile(join(user, 'flows.json'), JSON.stringify(flows))
  const uiPort = await freePort()
  await writeFile(
    join(user, 'settings.cjs'),
    `module.exports = { uiPort: ${uiPort}, uiHost: '127.0.0.1', flowFile: 'flows.json', httpAdminRoot: '/admin', httpNodeRoot: false, logging: { console: { level: 'warn' } }, editorTheme: { tours: false } }\n`,
  )
  const child = spawn(
    process.execPath,
    [redJs, '--userDir', user, '--settings', join(user, 'settings.cjs')],
    {
      stdio: 'ignore',
    },
  )
  // Started once the flow's MQTT client is connected: its persistent session then exists on the broker.
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new PeerUnavailable(`node-red exited with ${child.exitCode}`)
    if (Date.now() > deadline) throw new PeerUnavailable('node-red did not start within 60 s')
    try {
      const r = await fetch(`http://127.0.0.1:${uiPort}/admin/flows`, {
        headers: { 'Node-RED-API-Version': 'v2' },
      })
      if (r.ok) break
    } catch {}
    await new Promise((r) => setTimeout(r, 200))
  }
  await new Promise((r) => setTimeout(r, 1500))
  return { out, child }
}

/** Counts the lines of a file that is being appended to, reading only what was added since the last call. */
class LineCounter {
  private fd: number | undefined
  private readonly buf = Buffer.allocUnsafe(1 << 20)
  lines = 0

  constructor(private readonly path: string) {}

  count(): number {
    if (this.fd === undefined) {
      if (!existsSync(this.path)) return 0
      this.fd = openSync(this.path, 'r')
    }
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, null)
      if (n === 0) return this.lines
      for (let i = 0; i < n; i++) if (this.buf[i] === 10) this.lines++
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
  }
}

export async function nodeRedPhase(cfg: E2eConfig, redJs: string, load: Load): Promise<Phase> {
  const dir = await tempDir('bench-node-red-')
  const red = await startNodeRed(redJs, dir.path, load.url)
  try {
    const lines = new LineCounter(red.out)
    const phase = await measure(cfg, load, { count: () => lines.count() * load.perMessage })
    lines.close()
    return phase
  } finally {
    red.child.kill('SIGTERM')
    await dir.cleanup()
  }
}
