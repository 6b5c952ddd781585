import { SteleError } from '../../core/errors.ts'
import {
  addCredential,
  credentialsPath,
  deviceIdProblem,
  readCredentials,
  removeCredential,
} from '../../gateway/mqtt-credentials.ts'
import { parse, strOption } from '../args.ts'
import { deviceSpec } from './device-spec.ts'

/** `stele device add|ls|rm`: per-device MQTT credentials, username = device id, password = a random token. */
export async function deviceCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(deviceSpec, argv)
  if (p === 'help') return -1
  const file = credentialsPath(strOption(p, 'data') ?? '.stele')
  const [action, id] = p.positionals
  if (action === 'ls') {
    const clients = Object.entries((await readCredentials(file)).clients)
    if (clients.length === 0) out(`no MQTT credentials in ${file}; add one with 'stele device add <id>'`)
    for (const [name, c] of clients)
      out(`${name.padEnd(40)} ${c.role.padEnd(10)} ${new Date(c.created).toISOString()}`)
    return 0
  }
  if ((action !== 'add' && action !== 'rm') || !id)
    throw new SteleError('STELE_CONFIG', `usage: ${deviceSpec.usage}`)
  if (action === 'rm') {
    if (!(await removeCredential(file, id)))
      throw new SteleError('STELE_NOT_FOUND', `no MQTT credentials for ${id} in ${file}`)
    out(`removed ${id}: its next connection is refused (a connection open now stays until it ends)`)
    return 0
  }
  const problem = deviceIdProblem(id)
  if (problem) throw new SteleError('STELE_CONFIG', `cannot add ${JSON.stringify(id)}: ${problem}`)
  const token = await addCredential(file, id, 'device')
  out(`device ${id}: MQTT username ${id}, password (shown once, only its hash is kept):`)
  out(token)
  out(`it may publish to stele/${id}/<sensor>`)
  return 0
}
