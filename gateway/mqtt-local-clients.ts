/**
 * Tokens of the clients `stele start` runs itself (its gateway, its republisher, its simulated devices), kept
 * in clear in <data>/mqtt/local-clients.json (0600, like the gateway key beside it) so a restart reuses them
 * and `stele sim --credentials <file>` can run the same fleet from another process. Their hashes go into the
 * broker's credentials file like any other client's. Made on first run; a missing or changed entry is
 * re-issued.
 *
 * Format: {"version":1,"tokens":{"<username>":"<token>"}}, the one `stele sim --credentials` reads.
 */

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SteleError } from '../core/errors.ts'
import { writeFileAtomic } from '../core/key-file.ts'
import { hashToken, type MqttRole, newToken, readCredentials, writeCredentials } from './mqtt-credentials.ts'

export function localClientsPath(dataDir: string): string {
  return join(dataDir, 'mqtt', 'local-clients.json')
}

/** The username to token map of a local-clients file. */
export async function readLocalTokens(path: string): Promise<{ [username: string]: string }> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new SteleError('STELE_CONFIG', `cannot read MQTT client tokens ${path}`, { cause })
  }
  try {
    const parsed = JSON.parse(text) as { tokens?: unknown }
    if (typeof parsed.tokens !== 'object' || parsed.tokens === null) throw new TypeError('no "tokens" object')
    return parsed.tokens as { [username: string]: string }
  } catch (cause) {
    throw new SteleError('STELE_CONFIG', `MQTT client tokens ${path}: expected {"tokens":{...}}`, { cause })
  }
}

/**
 * Makes sure each wanted client has a token in the local file whose hash is in the credentials file with the
 * wanted role; returns the tokens. Writes the files only when something changed.
 */
export async function ensureLocalClients(
  credentials: string,
  local: string,
  wanted: { username: string; role: MqttRole }[],
  opts: { now?: () => number; randomBytes?: (n: number) => Uint8Array } = {},
): Promise<{ [username: string]: string }> {
  const file = await readCredentials(credentials)
  const tokens = await readLocalTokens(local)
  let changed = false
  for (const { username, role } of wanted) {
    const have = Object.hasOwn(tokens, username) ? tokens[username] : undefined
    const entry = Object.hasOwn(file.clients, username) ? file.clients[username] : undefined
    if (have && entry && entry.role === role && entry.sha256 === hashToken(have)) continue
    const token = newToken(opts.randomBytes)
    tokens[username] = token
    file.clients[username] = { role, sha256: hashToken(token), created: (opts.now ?? Date.now)() }
    changed = true
  }
  if (changed) {
    // Tokens first: a crash between the two writes leaves tokens the broker does not know yet, re-issued next run.
    await writeFileAtomic(local, `${JSON.stringify({ version: 1, tokens }, null, 2)}\n`)
    await writeCredentials(credentials, file)
  }
  return tokens
}
