import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  verify as rawVerify,
} from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import presence from '../../core/vectors/presence.json' with { type: 'json' }
import {
  buildPresenceVectors,
  extractPresenceSection,
  type PresenceVector,
  type PresenceVectors,
  renderPresenceSection,
} from './presence-vectors-lib.ts'

const V = presence as unknown as PresenceVectors
const byId = (id: string): PresenceVector => V.vectors.find((e) => e.id === id)!
const B = (h: string): Buffer => Buffer.from(h, 'hex')
const label = (s: string): string => Buffer.from(s).toString('hex')
// node:crypto's X25519 and Ed25519, not the code's libraries: the spec checked by a second implementation.
const x25519 = (secret: string, pub: string): string =>
  diffieHellman({
    privateKey: createPrivateKey({
      key: B(`302e020100300506032b656e04220420${secret}`),
      format: 'der',
      type: 'pkcs8',
    }),
    publicKey: createPublicKey({ key: B(`302a300506032b656e032100${pub}`), format: 'der', type: 'spki' }),
  }).toString('hex')
const ed25519Verify = (pub: string, msg: string, sig: string): boolean =>
  rawVerify(
    null,
    B(msg),
    createPublicKey({ key: B(`302a300506032b6570032100${pub}`), format: 'der', type: 'spki' }),
    B(sig),
  )

describe('core/vectors/presence.json', () => {
  it('is exactly what the code produces (regenerate: node --import tsx test/core/gen-presence-vectors.ts)', () => {
    expect(JSON.parse(JSON.stringify(buildPresenceVectors()))).toEqual(V)
  })

  it('every field table concatenates to its encoding; cells are 512 bytes', () => {
    for (const e of V.vectors) expect(e.fields.map(([, h]) => h).join(''), e.id).toBe(e.hex)
    expect(B(byId('create-cell').hex).length).toBe(512)
    expect(B(byId('relay-cell-one-hop').hex).length).toBe(512)
  })

  it('the handshake follows the spec: ikm, HKDF labels, keys and auth, by node:crypto', () => {
    const { node, ephemeral } = V.keys as Record<string, Record<string, string>>
    // The node's X25519 secret is the clamped first half of SHA-512(seed); its public key is B.
    const h = createHash('sha512').update(B(node!.seed!)).digest().subarray(0, 32)
    h[0]! &= 248
    h[31]! &= 127
    h[31]! |= 64
    expect(h.toString('hex')).toBe(node!.x25519Secret)
    const created = byId('created-payload')
    const ikm = x25519(ephemeral!.x!, ephemeral!.Y!) + x25519(ephemeral!.x!, node!.x25519Public!)
    expect(ikm).toBe(created.derived.ikm)
    // The hop's side gives the same ikm.
    expect(x25519(ephemeral!.y!, ephemeral!.X!) + x25519(node!.x25519Secret!, ephemeral!.X!)).toBe(ikm)
    const transcript = node!.publicKey! + node!.x25519Public! + ephemeral!.X! + ephemeral!.Y!
    expect(created.derived.info).toBe(label('stele:presence:keys') + transcript)
    const okm = Buffer.from(
      hkdfSync('sha256', B(ikm), Buffer.from('stele:presence:ntor:v1'), B(created.derived.info!), 96),
    )
    expect(okm.subarray(0, 32).toString('hex')).toBe(created.derived.forwardKey)
    expect(okm.subarray(32, 64).toString('hex')).toBe(created.derived.backwardKey)
    const auth = createHmac('sha256', okm.subarray(64, 96))
      .update(B(label('stele:presence:ntor:auth') + transcript))
      .digest('hex')
    expect(created.fields.find(([f]) => f === 'auth')![1]).toBe(auth)
  })

  it('the registration is signed over its domain and stored under sha256(clientKey); the message likewise', () => {
    const reg = byId('registration')
    const body = reg.hex.slice(0, 89 * 2)
    expect(reg.derived.signingMessage).toBe(label('stele:presence:register:v1') + body)
    const { client, sender } = V.keys as Record<string, Record<string, string>>
    expect(ed25519Verify(client!.publicKey!, reg.derived.signingMessage!, reg.hex.slice(178))).toBe(true)
    expect(reg.derived.dhtKey).toBe(createHash('sha256').update(B(client!.publicKey!)).digest('hex'))
    const msg = byId('message')
    const signed = msg.hex.slice(0, msg.hex.length - 128)
    expect(ed25519Verify(sender!.publicKey!, msg.derived.domain! + signed, msg.hex.slice(-128))).toBe(true)
  })

  it('the fragments of a SEND join to its data: full first piece, the rest in the last (§2.1)', () => {
    const [first, last] = [byId('fragment-first'), byId('fragment-last')]
    const piece = (v: PresenceVector) => v.fields.find(([f]) => f === 'piece')![1]
    // RELAY_SIZE 457 less the relay header 3 and the fragment header 9.
    expect(piece(first).length / 2).toBe(457 - 3 - 9)
    expect(first.hex.slice(0, 18)).toBe('05000000010000' + '0002')
    expect(last.hex.slice(0, 18)).toBe('05000000010001' + '0002')
    expect(piece(first) + piece(last)).toBe(first.derived.joined)
  })
})

describe('docs/presence.md §9', () => {
  it('carries exactly the section rendered from core/vectors/presence.json', async () => {
    const doc = await readFile(new URL('../../docs/presence.md', import.meta.url), 'utf8')
    expect(extractPresenceSection(doc)).toBe(renderPresenceSection(V))
    for (const s of [
      'stele:presence:ntor:v1',
      'stele:presence:keys',
      'stele:presence:ntor:auth',
      'sha256(clientKey)',
    ])
      expect(doc, s).toContain(s)
  })
})
