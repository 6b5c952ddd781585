/** The pieces under the broker's authentication: credential files, the ACL table, the packet size guard. */
import { readFile, stat } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseTopicPattern } from '../../gateway/connectors/mqtt/mqtt-topic.ts'
import {
  clientIdRefusal,
  gatewayClientId,
  type MqttIdentity,
  publishRefusal,
  subscribeAllowed,
} from '../../gateway/mqtt-acl.ts'
import {
  addCredential,
  credentialsPath,
  deviceIdProblem,
  fileCredentialChecker,
  hashToken,
  removeCredential,
} from '../../gateway/mqtt-credentials.ts'
import { ensureLocalClients, localClientsPath, readLocalTokens } from '../../gateway/mqtt-local-clients.ts'
import { createPacketSizeGuard } from '../../gateway/mqtt-packet-limit.ts'
import { tempDir } from '../helpers/tmp.ts'

const pw = (s: string) => Buffer.from(s)

describe('MQTT credentials file', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  beforeEach(async () => {
    dir = await tempDir('stele-mqtt-cred-')
  })
  afterEach(() => dir.cleanup())

  it('keeps only a hash of each token, owner-only, and checks against the file as it changes', async () => {
    const file = credentialsPath(dir.path)
    const bytes = (n: number) => new Uint8Array(n).fill(1)
    const token = await addCredential(file, 'dev-a', 'device', { randomBytes: bytes, now: () => 5 })
    expect(token).toBe(Buffer.from(bytes(32)).toString('hex'))
    const text = await readFile(file, 'utf8')
    expect(text).not.toContain(token)
    expect(JSON.parse(text).clients['dev-a']).toEqual({
      role: 'device',
      sha256: hashToken(token),
      created: 5,
    })
    expect((await stat(file)).mode & 0o777).toBe(0o600)

    const checker = fileCredentialChecker(file)
    expect(await checker.check('dev-a', pw(token))).toEqual({ ok: true, role: 'device' })
    expect(await checker.check('dev-a', pw(`${token}x`))).toEqual({ ok: false, reason: 'bad-password' })
    expect(await checker.check('dev-a', undefined)).toEqual({ ok: false, reason: 'bad-password' })
    expect(await checker.check('constructor', pw(token))).toEqual({ ok: false, reason: 'unknown' })
    await expect(addCredential(file, 'dev-a', 'device')).rejects.toThrow(/already has MQTT credentials/)
    expect(await removeCredential(file, 'dev-a')).toBe(true)
    expect(await checker.check('dev-a', pw(token))).toEqual({ ok: false, reason: 'unknown' })
    expect(await removeCredential(file, 'dev-a')).toBe(false)
  })

  it("refuses device ids that would collide with Stele's own topics and clients", () => {
    expect(deviceIdProblem('sensor-1')).toBeUndefined()
    expect(deviceIdProblem('verified')).toMatch(/reserved/)
    expect(deviceIdProblem('stele-gw-0011')).toMatch(/reserved/)
    expect(deviceIdProblem('a/b')).toMatch(/characters/)
    expect(deviceIdProblem('')).toMatch(/characters/)
  })

  it('gives stele start its clients once and reuses them on the next run', async () => {
    const creds = credentialsPath(dir.path)
    const local = localClientsPath(dir.path)
    const wanted = [
      { username: 'stele-gw-00', role: 'gateway' as const },
      { username: 'sim-mqtt-01', role: 'device' as const },
    ]
    const first = await ensureLocalClients(creds, local, wanted)
    expect(Object.keys(first).sort()).toEqual(['sim-mqtt-01', 'stele-gw-00'])
    expect(await readLocalTokens(local)).toEqual(first)
    const again = await ensureLocalClients(creds, local, wanted)
    expect(again).toEqual(first)
    // An entry removed with `stele device rm` is issued anew.
    await removeCredential(creds, 'sim-mqtt-01')
    const third = await ensureLocalClients(creds, local, wanted)
    expect(third['sim-mqtt-01']).not.toBe(first['sim-mqtt-01'])
    expect(third['stele-gw-00']).toBe(first['stele-gw-00'])
    const checker = fileCredentialChecker(creds)
    expect(await checker.check('sim-mqtt-01', pw(third['sim-mqtt-01']!))).toEqual({
      ok: true,
      role: 'device',
    })
  })
})

describe('MQTT ACL', () => {
  const readings = parseTopicPattern('stele/{device}/{sensor}')
  const dev: MqttIdentity = { role: 'device', username: 'dev-a' }
  const gw: MqttIdentity = { role: 'gateway', username: gatewayClientId(new Uint8Array(32)) }
  const rep: MqttIdentity = { role: 'republish', username: 'stele-republish' }
  const anon: MqttIdentity = { role: 'anonymous' }

  it('names the gateway by the first 16 hex digits of its key', () => {
    expect(gatewayClientId(new Uint8Array(32).fill(0xab))).toBe('stele-gw-abababababababab')
  })

  it.each([
    [dev, 'stele/dev-a/temp', undefined],
    [dev, 'stele/dev-b/temp', /only its own/],
    [dev, 'stele/dev-a/temp/x', /does not match/],
    [dev, 'stele//temp', /empty level/],
    [dev, 'stele/dev-a/', /empty level/],
    [dev, 'stele/verified/dev-a/temp', /only the republisher/],
    [gw, 'stele/dev-a/temp', /does not publish/],
    [rep, 'stele/verified/dev-a/temp', undefined],
    [rep, 'stele/dev-a/temp', /only under stele\/verified/],
    [anon, 'stele/anything/temp', undefined],
    [anon, 'other/topic', undefined],
    [anon, 'stele//t', /empty level/],
    [anon, 'stele/verified/x/y', /only the republisher/],
  ])('publish %o to %s', (who, topic, refusal) => {
    const why = publishRefusal(who, topic, readings)
    if (refusal === undefined) expect(why).toBeUndefined()
    else expect(why).toMatch(refusal)
  })

  it.each([
    [dev, 'stele/dev-a/#', true],
    [dev, 'stele/verified/#', true],
    [dev, 'stele/+/temp', false],
    [dev, 'stele/#', false],
    [dev, '#', false],
    [dev, '$SYS/#', false],
    [gw, 'stele/+/+', true],
    [rep, 'stele/verified/#', false],
    [anon, 'stele/+/+', true],
  ])('subscribe %o to %s: %s', (who, filter, allowed) => {
    expect(subscribeAllowed(who, filter)).toBe(allowed)
  })

  it('reserves stele-gw- client ids to the gateway, and binds the gateway to its own id', () => {
    expect(clientIdRefusal(dev, 'dev-a')).toBeUndefined()
    expect(clientIdRefusal(dev, 'stele-gw-0000000000000000')).toMatch(/reserved for a gateway/)
    expect(clientIdRefusal(anon, 'stele-gw-x')).toMatch(/reserved for a gateway/)
    expect(clientIdRefusal(gw, (gw as { username: string }).username)).toBeUndefined()
    expect(clientIdRefusal(gw, 'stele-gw-other')).toMatch(/must connect with client id/)
  })
})

describe('MQTT packet size guard', () => {
  it('follows packets across chunk boundaries and flags the first one over the limit', () => {
    const guard = createPacketSizeGuard(100)
    // PINGREQ (2 bytes), a PUBLISH of 1+1+98 = 100 bytes split in three chunks, then one of 1+2+200 bytes.
    expect(guard.feed(Buffer.from([0xc0, 0x00, 0x30]))).toBeUndefined()
    expect(guard.feed(Buffer.from([98, ...new Array(50).fill(0)]))).toBeUndefined()
    expect(guard.feed(Buffer.from(new Array(48).fill(0)))).toBeUndefined()
    expect(guard.feed(Buffer.from([0x30, 0xc8]))).toBeUndefined()
    expect(guard.feed(Buffer.from([0x01]))).toBe(203)
  })

  it('flags a length field of more than four bytes', () => {
    expect(createPacketSizeGuard(1 << 30).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]))).toBe(
      Number.POSITIVE_INFINITY,
    )
  })
})
