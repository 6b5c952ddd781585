import { pathToFileURL } from 'node:url'
import { SteleError } from '../../core/errors.ts'
import { intOption, parse, strOption } from '../args.ts'
import { createLogger } from '../log.ts'
import { nodeTlsOption } from '../node-tls.ts'
import { untilSignal } from '../signals.ts'
import { brokerSecurityOptions } from './start-mqtt.ts'
import { spawnNodeThread } from './start-node-thread.ts'
import type { StartOptions } from './start-run.ts'
import { startSpec } from './start-spec.ts'

/**
 * `stele start`: node, gateway, embedded broker and a simulated fleet in one process (what `npm start` runs). The
 * node runs in its own thread unless --node-thread=false (start-node-thread.ts).
 */
export async function startCommand(argv: string[]): Promise<number> {
  const p = parse(startSpec, argv)
  if (p === 'help') return -1
  const json = p.values['json'] === true
  const logger = createLogger({ json })
  const o: StartOptions = {
    data: strOption(p, 'data') ?? '.stele',
    host: strOption(p, 'host') ?? '127.0.0.1',
    port: intOption(p, 'port', 0, 65535),
    mqttPort: intOption(p, 'mqtt-port', 0, 65535),
    mqttDevices: intOption(p, 'mqtt-devices', 0, 10_000),
    boards: intOption(p, 'boards', 0, 100),
    rate: intOption(p, 'rate', 1, 1000),
    seed: intOption(p, 'seed', 0, 2 ** 31),
    blockIntervalMs: intOption(p, 'block-interval', 10, 3_600_000),
    security: await brokerSecurityOptions(p),
    httpTls: await nodeTlsOption(p),
    json,
  }
  const nodeThread = boolText(strOption(p, 'node-thread') ?? 'true', '--node-thread')

  const stops: (() => Promise<unknown>)[] = []
  const stopAll = async () => {
    for (const stop of stops.reverse())
      await stop().catch((e) => logger.warn({ err: e }, 'error while stopping'))
  }
  // Ends the wait for a signal if the node's thread dies: nothing runs on half alive.
  let nodeFailed = new Promise<Error>(() => {})
  // A test's stand-in for the thread's module (test/cli/start-node-dies.test.ts), not a user setting.
  const entry = process.env['STELE_TEST_NODE_WORKER']
  const thread = nodeThread
    ? spawnNodeThread({
        log: { json, tty: process.stdout.isTTY === true },
        ...(entry ? { entry: pathToFileURL(entry) } : {}),
      })
    : undefined
  if (thread) stops.push(() => thread.close())
  try {
    // Loaded only now: the node's thread loads its modules meanwhile, on the other core.
    const { runStart } = await import('./start-run.ts')
    const node = await runStart({ ...o, logger, stops, thread })
    if ('failed' in node) nodeFailed = node.failed
  } catch (e) {
    await stopAll()
    throw e
  }
  const failure = await Promise.race([untilSignal(logger).then(() => undefined), nodeFailed])
  if (failure) logger.error({ err: failure }, 'the node thread failed; stopping everything')
  await stopAll()
  return failure ? 1 : 0
}

/** --node-thread true|false. */
function boolText(v: string, flag: string): boolean {
  if (v === 'true') return true
  if (v === 'false') return false
  throw new SteleError('STELE_CONFIG', `${flag} takes true or false, not ${JSON.stringify(v)}`)
}
