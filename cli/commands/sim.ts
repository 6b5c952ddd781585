import { readFile } from 'node:fs/promises'
import type { IClientOptions } from 'mqtt'
import { SteleError } from '../../core/errors.ts'
import { readLocalTokens } from '../../gateway/mqtt-local-clients.ts'
import { intOption, type Parsed, parse, strOption } from '../args.ts'
import { createLogger } from '../log.ts'
import { untilSignal } from '../signals.ts'
import { startSimFleet } from '../sim-fleet.ts'
import { simSpec } from './sim-spec.ts'

export async function simCommand(argv: string[]): Promise<number> {
  const p = parse(simSpec, argv)
  if (p === 'help') return -1
  const logger = createLogger({ json: p.values['json'] === true })
  const login = await simLogin(p)
  const fleet = await startSimFleet({
    url: strOption(p, 'mqtt') ?? 'mqtt://127.0.0.1:1883',
    count: intOption(p, 'devices', 1, 100_000),
    rate: intOption(p, 'rate', 1, 10_000),
    seed: intOption(p, 'seed', 0, 2 ** 31),
    prefix: strOption(p, 'prefix') ?? 'sim-mqtt',
    logger,
    ...login,
  })
  const timer = setInterval(() => logger.info(fleet.stats(), 'fleet'), 5000)
  await untilSignal(logger)
  clearInterval(timer)
  await fleet.stop()
  return 0
}

/** --credentials <file> (one token per device id), or --username/--password shared by every device; --ca. */
async function simLogin(p: Parsed): Promise<{
  credentials?: (id: string) => { username: string; password: string } | undefined
  mqttOptions?: Partial<IClientOptions>
}> {
  const file = strOption(p, 'credentials')
  const username = strOption(p, 'username')
  const password = strOption(p, 'password') ?? process.env['STELE_MQTT_PASSWORD']
  const ca = strOption(p, 'ca')
  if (file && username)
    throw new SteleError('STELE_CONFIG', '--credentials gives each device its own login; drop --username')
  const shared: Partial<IClientOptions> = {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(ca !== undefined
      ? {
          ca: await readFile(ca).catch((cause) => {
            throw new SteleError('STELE_CONFIG', `cannot read --ca ${ca}: ${(cause as Error).message}`, {
              cause,
            })
          }),
        }
      : {}),
  }
  if (!file) return { mqttOptions: shared }
  const tokens = await readLocalTokens(file)
  return {
    mqttOptions: shared,
    credentials: (id) => {
      const token = Object.hasOwn(tokens, id) ? tokens[id] : undefined
      if (token === undefined)
        throw new SteleError('STELE_CONFIG', `--credentials ${file} has no token for ${id}`)
      return { username: id, password: token }
    },
  }
}
