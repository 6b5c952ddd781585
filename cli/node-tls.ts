import { readFile } from 'node:fs/promises'
import { SteleError } from '../core/errors.ts'
import { type OptionSpec, type Parsed, strOption } from './args.ts'

// Apart from run-node.ts so that reading the options does not load the node's modules (stele start's main thread
// when the node has its own).

export type NodeTls = { cert: Buffer; key: Buffer }

/** --tls-cert/--tls-key of `stele node` and `stele start`. */
export const TLS_OPTIONS: { [name: string]: OptionSpec } = {
  'tls-cert': {
    type: 'string',
    description:
      'PEM certificate (chain): the API, streams and explorer are then served over https:// and wss://',
  },
  'tls-key': { type: 'string', description: 'PEM private key of --tls-cert' },
}

/** Reads --tls-cert and --tls-key (both or neither). */
export async function nodeTlsOption(p: Parsed): Promise<{ tls?: NodeTls }> {
  const cert = strOption(p, 'tls-cert')
  const key = strOption(p, 'tls-key')
  if ((cert === undefined) !== (key === undefined))
    throw new SteleError('STELE_CONFIG', '--tls-cert and --tls-key go together')
  if (cert === undefined || key === undefined) return {}
  const read = (file: string, flag: string) =>
    readFile(file).catch((cause) => {
      throw new SteleError('STELE_CONFIG', `cannot read ${flag} ${file}: ${(cause as Error).message}`, {
        cause,
      })
    })
  return { tls: { cert: await read(cert, '--tls-cert'), key: await read(key, '--tls-key') } }
}
