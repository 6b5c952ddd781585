import { intOption, parse, strOption } from '../args.ts'
import { createLogger } from '../log.ts'
import { untilSignal } from '../signals.ts'
import { startSimFleet } from '../sim-fleet.ts'
import { simSpec } from './sim-spec.ts'

export async function simCommand(argv: string[]): Promise<number> {
  const p = parse(simSpec, argv)
  if (p === 'help') return -1
  const logger = createLogger({ json: p.values['json'] === true })
  const fleet = await startSimFleet({
    url: strOption(p, 'mqtt') ?? 'mqtt://127.0.0.1:1883',
    count: intOption(p, 'devices', 1, 100_000),
    rate: intOption(p, 'rate', 1, 10_000),
    seed: intOption(p, 'seed', 0, 2 ** 31),
    prefix: strOption(p, 'prefix') ?? 'sim-mqtt',
    logger,
  })
  const timer = setInterval(() => logger.info(fleet.stats(), 'fleet'), 5000)
  await untilSignal(logger)
  clearInterval(timer)
  await fleet.stop()
  return 0
}
