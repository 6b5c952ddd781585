import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { toHex } from '../../core/bytes.ts'
import { generateKeyPair } from '../../core/ed25519.ts'
import { SteleError } from '../../core/errors.ts'
import { readKeyFile, writeKeyFile } from '../../core/key-file.ts'
import { type CommandSpec, parse, strOption } from '../args.ts'

export const keysSpec: CommandSpec = {
  name: 'keys',
  summary: 'Show the keys in a data folder, or make a new key file.',
  usage: 'stele keys [--data <dir>] | stele keys new --out <file>',
  options: {
    data: {
      type: 'string',
      default: '.stele',
      description: 'data folder to read node and gateway keys from',
    },
    out: { type: 'string', description: 'with "new": where to write the new key (mode 0600)' },
  },
}

export async function keysCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(keysSpec, argv)
  if (p === 'help') return -1
  if (p.positionals[0] === 'new') {
    const file = strOption(p, 'out')
    if (!file) throw new SteleError('STELE_CONFIG', 'stele keys new needs --out <file>')
    const key = generateKeyPair()
    try {
      await writeKeyFile(file, key)
    } catch (e) {
      throw new SteleError(
        'STELE_CONFIG',
        `cannot write ${file}: ${(e as Error).message} (it is never overwritten)`,
        { cause: e },
      )
    }
    out(`public key ${toHex(key.publicKey)} written to ${file}`)
    return 0
  }
  const data = strOption(p, 'data') ?? '.stele'
  let found = 0
  for (const [label, file] of [
    ['node (producer, authority)', join(data, 'node', 'node.key')],
    ['node (producer, authority)', join(data, 'node.key')],
    ['gateway', join(data, 'gateway', 'gateway.key')],
    ['gateway', join(data, 'gateway.key')],
  ] as const) {
    try {
      await access(file)
    } catch {
      continue
    }
    const key = await readKeyFile(file)
    if (key) {
      out(`${label.padEnd(28)} ${toHex(key.publicKey)}  (${file})`)
      found++
    }
  }
  if (found === 0) out(`no keys under ${data}; 'stele start' or 'stele node' creates them on first run`)
  return 0
}
