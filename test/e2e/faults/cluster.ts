import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type EmbeddedBroker, startEmbeddedBroker } from '../../../gateway/embedded-broker.ts'
import { gatewayClientId } from '../../../gateway/mqtt-acl.ts'
import { addCredential, credentialsPath, fileCredentialChecker } from '../../../gateway/mqtt-credentials.ts'
import { freePort } from '../../helpers/ports.ts'
import { type SteleProcess, spawnStele } from '../../helpers/spawn-stele.ts'

import { until } from '../../helpers/wait.ts'

const run = promisify(execFile)
const BIN = fileURLToPath(new URL('../../../bin/stele.js', import.meta.url))

const isListening = (l: { [k: string]: unknown }) => String(l['msg']).includes('listening on')
const isGatewayUp = (l: { [k: string]: unknown }) => l['msg'] === 'gateway running'

async function acceptsConnections(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1')
  try {
    await Promise.race([once(socket, 'connect'), once(socket, 'error').then(([e]) => Promise.reject(e))])
    return true
  } catch {
    return false
  } finally {
    socket.destroy()
  }
}

export type BrokerKind = 'aedes' | 'mosquitto'

/**
 * Real processes on loopback: `stele node` and `stele gateway` as children (so kill -9 is real), and a broker: aedes
 * in this process, or Mosquitto with on-disk persistence as a child when the broker itself must stop and come back
 * with what it had acknowledged. Real LevelDB everywhere.
 */
export class Cluster {
  node!: SteleProcess
  gateway!: SteleProcess
  broker: EmbeddedBroker | undefined
  private mosquitto: ChildProcess | undefined
  nodeUrl = ''
  brokerUrl = ''
  /** The gateway's login on the aedes broker (devices stay anonymous; the gateway's client id needs it). */
  mqttLogin: string[] = []
  readonly events: string[] = []

  private constructor(
    readonly dir: string,
    private readonly nodePort: number,
    private readonly brokerPort: number,
    private readonly gatewayArgs: string[],
    private readonly brokerKind: BrokerKind,
  ) {}

  static async start(
    dir: string,
    opts: { gatewayArgs?: string[]; broker?: BrokerKind } = {},
  ): Promise<Cluster> {
    const c = new Cluster(
      dir,
      await freePort(),
      await freePort(),
      opts.gatewayArgs ?? [],
      opts.broker ?? 'aedes',
    )
    c.nodeUrl = `http://127.0.0.1:${c.nodePort}`
    c.brokerUrl = `mqtt://127.0.0.1:${c.brokerPort}`
    await c.startBroker()
    await c.startNode()
    // Make the gateway key up front and register it, as an operator would.
    await mkdir(join(dir, 'gateway'), { recursive: true })
    const keyFile = join(dir, 'gateway', 'gateway.key')
    const made = await run(process.execPath, [BIN, 'keys', 'new', '--out', keyFile])
    const key = /public key ([0-9a-f]{64})/.exec(made.stdout)![1]!
    await run(process.execPath, [
      BIN,
      'gateway',
      'register',
      '--node',
      c.nodeUrl,
      '--key',
      key,
      '--authority',
      join(dir, 'node', 'node.key'),
    ])
    if (c.brokerKind === 'aedes') {
      const id = gatewayClientId(Buffer.from(key, 'hex'))
      const token = await addCredential(credentialsPath(dir), id, 'gateway')
      // `=` form: a base64url token may begin with '-', which a separate argument would read as an option
      c.mqttLogin = ['--mqtt-username', id, `--mqtt-password=${token}`]
    }
    await c.startGateway()
    return c
  }

  async startBroker(): Promise<void> {
    if (this.brokerKind === 'aedes') {
      this.broker = await startEmbeddedBroker({
        port: this.brokerPort,
        allowAnonymous: true,
        credentials: fileCredentialChecker(credentialsPath(this.dir)),
      })
      return
    }
    const store = join(this.dir, 'mosquitto')
    await mkdir(store, { recursive: true })
    const conf = join(store, 'mosquitto.conf')
    // max_queued_messages 0: Mosquitto's default of 1000 silently drops QoS 1 messages queued for a slow subscriber.
    await writeFile(
      conf,
      [
        `listener ${this.brokerPort} 127.0.0.1`,
        'allow_anonymous true',
        'user root',
        'persistence true',
        `persistence_location ${store}/`,
        'autosave_interval 1',
        'max_queued_messages 0',
        'log_dest none',
        '',
      ].join('\n'),
    )
    this.mosquitto = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' })
    const m = this.mosquitto
    await until(
      async () => {
        if (m.exitCode !== null) throw new Error('mosquitto exited (npm run setup installs it)')
        return acceptsConnections(this.brokerPort)
      },
      { what: 'mosquitto to accept connections (npm run setup installs it)', everyMs: 50 },
    )
  }

  /** A graceful stop: Mosquitto writes its persistence file on the way out. */
  async stopBroker(): Promise<void> {
    await this.broker?.close()
    this.broker = undefined
    const m = this.mosquitto
    if (m && m.exitCode === null) {
      m.kill('SIGTERM')
      await once(m, 'exit')
    }
    this.mosquitto = undefined
  }

  async startNode(): Promise<void> {
    this.node = spawnStele([
      'node',
      '--data',
      this.dir,
      '--port',
      String(this.nodePort),
      '--block-interval',
      '200',
    ])
    await this.node.waitFor(isListening, 'node listening', 30_000)
  }

  async startGateway(): Promise<void> {
    this.gateway = spawnStele([
      'gateway',
      '--node',
      this.nodeUrl,
      '--mqtt',
      this.brokerUrl,
      ...this.mqttLogin,
      '--data',
      this.dir,
      ...this.gatewayArgs,
    ])
    await this.gateway.waitFor(isGatewayUp, 'gateway running', 30_000)
  }

  /** SIGKILL: no flush, no goodbye; what was on disk is all that survives. */
  async killNode(): Promise<void> {
    await this.node.kill('SIGKILL')
  }

  async killGateway(): Promise<void> {
    await this.gateway.kill('SIGKILL')
  }

  /** SIGSTOP: the node holds its port but answers nothing, as when a network path goes dark. */
  pauseNode(): void {
    this.node.child.kill('SIGSTOP')
  }

  resumeNode(): void {
    this.node.child.kill('SIGCONT')
  }

  async api<T = unknown>(path: string): Promise<T> {
    const r = await fetch(this.nodeUrl + path, { signal: AbortSignal.timeout(10_000) })
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`)
    return (await r.json()) as T
  }

  async stop(): Promise<void> {
    this.resumeNode()
    await this.gateway?.kill('SIGTERM')
    await this.node?.kill('SIGTERM')
    await this.stopBroker()
  }
}
