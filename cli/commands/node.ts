import { type CommandSpec, intOption, listOption, parse, strOption } from '../args.ts'
import { createLogger } from '../log.ts'
import { nodeTlsOption, runNode, TLS_OPTIONS } from '../run-node.ts'
import { untilSignal } from '../signals.ts'

export const nodeSpec: CommandSpec = {
  name: 'node',
  summary: 'Run a ledger node alone: chain, storage of readings, HTTP API and explorer.',
  usage: 'stele node [--data <dir>] [--port <n>] [--host <addr>] [--tls-cert <pem> --tls-key <pem>]',
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
    genesis: {
      type: 'string',
      description: "genesis file naming the producers (a network of nodes); default: the data folder's own",
    },
    'listen-p2p': {
      type: 'string',
      multiple: true,
      description: 'join the network: libp2p listen address (/ip4/127.0.0.1/tcp/9000), repeatable',
    },
    peer: {
      type: 'string',
      multiple: true,
      description: 'another node, /ip4/…/tcp/…/p2p/<peer id>, repeatable (joins the network)',
    },
    json: { type: 'boolean', description: 'log JSON lines even on a terminal' },
    ...TLS_OPTIONS,
  },
}

export async function nodeCommand(argv: string[]): Promise<number> {
  const p = parse(nodeSpec, argv)
  if (p === 'help') return -1
  const logger = createLogger({ json: p.values['json'] === true })
  const tls = await nodeTlsOption(p)
  const genesisFile = strOption(p, 'genesis')
  const listenP2p = listOption(p, 'listen-p2p')
  const peers = listOption(p, 'peer')
  const running = await runNode({
    ...tls,
    data: strOption(p, 'data') ?? '.stele',
    host: strOption(p, 'host') ?? '127.0.0.1',
    port: intOption(p, 'port', 0, 65535),
    blockIntervalMs: intOption(p, 'block-interval', 10, 3_600_000),
    logger,
    ...(genesisFile ? { genesisFile } : {}),
    ...(listenP2p.length > 0 || peers.length > 0 ? { p2p: { listen: listenP2p, peers } } : {}),
    ...(process.env['STELE_TEST_EQUIVOCATE'] === '1' ? { equivocate: true } : {}),
  })
  logger.info(
    { url: running.url, genesis: `${strOption(p, 'data') ?? '.stele'}/node/genesis.json` },
    `node listening on ${running.url}`,
  )
  const net = running.node.network
  if (net) logger.info({ peerId: net.host.peerId.toString(), p2p: net.addresses() }, 'node on the network')
  await untilSignal(logger)
  await running.close()
  return 0
}
