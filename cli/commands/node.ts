import { type CommandSpec, intOption, parse, strOption } from '../args.ts'
import { createLogger } from '../log.ts'
import { runNode } from '../run-node.ts'
import { untilSignal } from '../signals.ts'

export const nodeSpec: CommandSpec = {
  name: 'node',
  summary: 'Run a ledger node alone: chain, storage of readings, HTTP API and explorer.',
  usage: 'stele node [--data <dir>] [--port <n>] [--host <addr>]',
  options: {
    data: {
      type: 'string',
      default: '.stele',
      description: 'data folder (the node keeps its files in <data>/node)',
    },
    port: { type: 'string', default: '8080', description: 'HTTP port (0 picks a free one)' },
    host: {
      type: 'string',
      default: '127.0.0.1',
      description: 'HTTP address to bind (0.0.0.0 for all interfaces)',
    },
    'block-interval': { type: 'string', default: '1000', description: 'milliseconds between blocks' },
    json: { type: 'boolean', description: 'log JSON lines even on a terminal' },
  },
}

export async function nodeCommand(argv: string[]): Promise<number> {
  const p = parse(nodeSpec, argv)
  if (p === 'help') return -1
  const logger = createLogger({ json: p.values['json'] === true })
  const running = await runNode({
    data: strOption(p, 'data') ?? '.stele',
    host: strOption(p, 'host') ?? '127.0.0.1',
    port: intOption(p, 'port', 0, 65535),
    blockIntervalMs: intOption(p, 'block-interval', 10, 3_600_000),
    logger,
  })
  logger.info(
    { url: running.url, genesis: `${strOption(p, 'data') ?? '.stele'}/node/genesis.json` },
    `node listening on ${running.url}`,
  )
  await untilSignal(logger)
  await running.close()
  return 0
}
