import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { createMqttConnector } from '../../gateway/connectors/mqtt/mqtt-connector.ts'
import { startEmbeddedBroker } from '../../gateway/embedded-broker.ts'
import { createFailoverNodeClient } from '../../gateway/failover-node-client.ts'
import { createGateway } from '../../gateway/gateway.ts'
import { createHttpNodeClient } from '../../gateway/http-node-client.ts'
import { intOption, parse, strOption } from '../args.ts'
import { createLogger } from '../log.ts'
import { untilSignal } from '../signals.ts'
import { startSimFleet } from '../sim-fleet.ts'
import { registerTestnetGateway, registerTestnetNodes, testnetUrl } from './testnet-register.ts'
import { nodeArgs, prepareTestnet } from './testnet-setup.ts'
import { testnetSpec } from './testnet-spec.ts'

const BIN = fileURLToPath(new URL('../../bin/stele.js', import.meta.url))

export async function testnetCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(testnetSpec, argv)
  if (p === 'help') return -1
  const logger = createLogger({ json: p.values['json'] === true })
  const data = strOption(p, 'data') ?? '.stele-testnet'
  const blockIntervalMs = intOption(p, 'block-interval', 10, 3_600_000)
  const layout = await prepareTestnet({
    data,
    nodes: intOption(p, 'nodes', 1, 32),
    basePort: intOption(p, 'port', 1, 65_000),
    p2pBasePort: intOption(p, 'p2p-port', 1, 65_000),
  })
  const children: ChildProcess[] = []
  const stops: (() => Promise<void>)[] = []
  for (const n of layout.nodes) {
    const child = spawn(process.execPath, [BIN, ...nodeArgs(layout, n.index, blockIntervalMs), '--json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(child)
    createInterface({ input: child.stdout! }).on('line', (l) => out(`[node-${n.index}] ${l}`))
  }
  const urls = layout.nodes.map((n) => testnetUrl(layout, n.index))
  try {
    await Promise.all(urls.map((u) => waitHealthy(u)))
    for (const n of layout.nodes)
      out(`node-${n.index}: http://127.0.0.1:${n.httpPort}  p2p ${n.p2pAddr}  key ${toHex(n.key.publicKey)}`)

    const client = createFailoverNodeClient(urls.map((url) => createHttpNodeClient({ url })))
    const gateway = await createGateway({
      dataDir: join(data, 'gateway'),
      node: client,
      logger: logger.child({ area: 'gateway' }),
    })
    await registerTestnetGateway(urls[0]!, layout, gateway.publicKey)
    // Each node's HTTP endpoint on chain: a client given one node's address finds the others (GET /v1/nodes).
    await registerTestnetNodes(urls[0]!, layout)
    const broker = await startEmbeddedBroker({
      port: intOption(p, 'mqtt-port', 0, 65_535),
      host: '127.0.0.1',
      logger: logger.child({ area: 'broker' }),
      allowAnonymous: true,
    })
    stops.push(() => broker.close())
    await gateway.start()
    stops.push(() => gateway.stop())
    await gateway.addConnector(
      createMqttConnector({
        url: broker.url,
        sink: gateway.sink,
        logger,
        name: 'mqtt',
        clientId: 'stele-testnet-gw',
      }),
    )
    const devices = intOption(p, 'devices', 0, 10_000)
    if (devices > 0) {
      const fleet = await startSimFleet({
        url: broker.url,
        count: devices,
        rate: intOption(p, 'rate', 1, 10_000),
        seed: 1,
        logger,
      })
      stops.push(() => fleet.stop())
    }
    out(`testnet running: ${urls.join(' ')} (gateway ${toHex(gateway.publicKey)} submits to all, fails over)`)
    await untilSignal(logger)
  } finally {
    for (const s of stops.reverse()) await s().catch(() => undefined)
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve()
            c.once('exit', () => resolve())
            c.kill('SIGTERM')
          }),
      ),
    )
  }
  return 0
}

async function waitHealthy(url: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      const r = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2000) })
      if (r.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new SteleError(
        'STELE_UNAVAILABLE',
        `node at ${url} did not come up within ${ms} ms; see its log in the testnet folder`,
      )
    await new Promise((r) => setTimeout(r, 200))
  }
}
