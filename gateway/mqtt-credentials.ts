/**
 * MQTT credentials for the embedded broker: one entry per client (a device, a gateway, the verified-readings
 * republisher), username = the client's id, password = a random 256-bit token shown once.
 *
 * Stored as sha256 of the token, not scrypt: the token is 32 random bytes, so guessing it from its hash is as
 * hopeless with a fast hash as with a slow one (a slow hash only helps low-entropy, human-chosen passwords,
 * which we never accept), while scrypt would cost tens of milliseconds of CPU on every CONNECT and turn a
 * reconnect storm into a denial of service. Comparison is constant-time.
 *
 * The file is JSON written atomically (core/key-file.ts `writeFileAtomic`, 0600). The broker re-reads it when
 * its modification time changes, so `stele device add|rm` takes effect on the next CONNECT of a running
 * `stele start` without a restart (connections already open are not cut).
 */
import { createHash, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { SteleError } from '../core/errors.ts'
import { writeFileAtomic } from '../core/key-file.ts'
import { isValidId, LIMITS } from '../core/reading.ts'

/** device: publishes its own readings; gateway: reads every reading; republish: publishes stele/verified/. */
export type MqttRole = 'device' | 'gateway' | 'republish'

export interface MqttCredential {
  role: MqttRole
  /** sha256 of the token, hex. */
  sha256: string
  /** Epoch ms. */
  created: number
}

export interface MqttCredentialsFile {
  version: 1
  clients: { [username: string]: MqttCredential }
}

/** Where `stele start` and `stele device` keep them: <data>/mqtt/credentials.json. */
export function credentialsPath(dataDir: string): string {
  return join(dataDir, 'mqtt', 'credentials.json')
}

/** Device ids that would collide with Stele's own topics or client ids. */
export function deviceIdProblem(id: string): string | undefined {
  if (!isValidId(id, LIMITS.deviceIdBytes))
    return `a device id is 1-${LIMITS.deviceIdBytes} characters of A-Z a-z 0-9 . _ : -`
  if (id === 'verified') return '"verified" is reserved: stele/verified/ carries the republished readings'
  if (id.startsWith('stele-')) return 'ids starting with "stele-" are reserved for Stele\'s own clients'
  return undefined
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** 32 random bytes in hex, not base64url: a token pasted after `--mqtt-password` must never begin with '-'. */
export function newToken(randomBytes: (n: number) => Uint8Array = cryptoRandomBytes): string {
  return Buffer.from(randomBytes(32)).toString('hex')
}

export async function readCredentials(path: string): Promise<MqttCredentialsFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, clients: {} }
    throw new SteleError('STELE_STORAGE', `cannot read MQTT credentials ${path}`, { cause })
  }
  let parsed: Partial<MqttCredentialsFile>
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new SteleError(
      'STELE_CONFIG',
      `MQTT credentials ${path} are not JSON; restore or remove the file`,
      {
        cause,
      },
    )
  }
  if (parsed.version !== 1 || typeof parsed.clients !== 'object' || parsed.clients === null)
    throw new SteleError('STELE_CONFIG', `MQTT credentials ${path}: expected {"version":1,"clients":{...}}`)
  return { version: 1, clients: parsed.clients }
}

export async function writeCredentials(path: string, file: MqttCredentialsFile): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`)
}

/**
 * Adds (or replaces) a client's entry and returns its new token, which is not kept anywhere in clear. Read,
 * change and write are not locked across processes: two `stele device add` at the same instant may lose one.
 */
export async function addCredential(
  path: string,
  username: string,
  role: MqttRole,
  opts: { now?: () => number; randomBytes?: (n: number) => Uint8Array; replace?: boolean } = {},
): Promise<string> {
  const file = await readCredentials(path)
  if (file.clients[username] && !opts.replace)
    throw new SteleError(
      'STELE_CONFIG',
      `${username} already has MQTT credentials; remove them first ('stele device rm ${username}')`,
    )
  const token = newToken(opts.randomBytes)
  file.clients[username] = { role, sha256: hashToken(token), created: (opts.now ?? Date.now)() }
  await writeCredentials(path, file)
  return token
}

/** True when there was an entry to remove. */
export async function removeCredential(path: string, username: string): Promise<boolean> {
  const file = await readCredentials(path)
  if (!file.clients[username]) return false
  delete file.clients[username]
  await writeCredentials(path, file)
  return true
}

/** What a CONNECT's username and password prove. */
export type CheckResult = { ok: true; role: MqttRole } | { ok: false; reason: 'unknown' | 'bad-password' }

export interface CredentialChecker {
  check(username: string, password: Uint8Array | undefined): Promise<CheckResult>
}

/** Checks against the file at `path`, re-read whenever its modification time or size changes. */
export function fileCredentialChecker(path: string): CredentialChecker {
  let cached: { mtimeMs: number; size: number; file: MqttCredentialsFile } | undefined
  const load = async (): Promise<MqttCredentialsFile> => {
    const s = await stat(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined
      throw e
    })
    if (!s) return { version: 1, clients: {} }
    if (cached && cached.mtimeMs === s.mtimeMs && cached.size === s.size) return cached.file
    const file = await readCredentials(path)
    cached = { mtimeMs: s.mtimeMs, size: s.size, file }
    return file
  }
  return {
    async check(username, password) {
      const clients = (await load()).clients
      const entry = Object.hasOwn(clients, username) ? clients[username] : undefined
      if (!entry) return { ok: false, reason: 'unknown' }
      const given = Buffer.from(hashToken(Buffer.from(password ?? []).toString('utf8')), 'hex')
      const want = Buffer.from(entry.sha256, 'hex')
      if (want.length !== given.length || !timingSafeEqual(want, given))
        return { ok: false, reason: 'bad-password' }
      return { ok: true, role: entry.role }
    },
  }
}
