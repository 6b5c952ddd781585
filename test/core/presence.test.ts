import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keyPairFromSeed } from '../../core/ed25519.ts'
import {
  CELL_PAYLOAD_MAX,
  CELL_SIZE,
  CMD,
  decodeCell,
  decodeRelay,
  encodeCell,
  encodeRelay,
  RELAY,
  RELAY_DATA_MAX,
} from '../../core/presence/cell.ts'
import {
  decodeEnvelope,
  MESSAGE_DATA_MAX,
  signEnvelope,
  verifyEnvelope,
} from '../../core/presence/envelope.ts'
import { answerHandshake, finishHandshake, startHandshake } from '../../core/presence/handshake.ts'
import { openLayer, sealLayer } from '../../core/presence/onion.ts'
import {
  decodeRegistration,
  selectPresence,
  signRegistration,
  verifyRegistration,
} from '../../core/presence/registration.ts'

const kp = (n: number) => keyPairFromSeed(new Uint8Array(32).fill(n))

describe('presence cells', () => {
  it('round-trip any circuit id, command and payload at 512 bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffff_ffff }),
        fc.integer({ min: CMD.CREATE, max: CMD.DESTROY_BACK }),
        fc.uint8Array({ maxLength: CELL_PAYLOAD_MAX }),
        (circId, command, payload) => {
          const cell = encodeCell(circId, command, payload)
          expect(cell.length).toBe(CELL_SIZE)
          const d = decodeCell(cell)
          expect([d.circId, d.command, [...d.payload]]).toEqual([circId, command, [...payload]])
        },
      ),
      { seed: 17, numRuns: 200 },
    )
  })

  it('refuses a wrong size, circId 0, an unknown command, an overlong length and non-zero padding', () => {
    const good = encodeCell(5, CMD.RELAY, new Uint8Array(10))
    const bad = (f: (b: Uint8Array) => void) => {
      const b = good.slice()
      f(b)
      return () => decodeCell(b)
    }
    expect(() => decodeCell(good.subarray(1))).toThrow(/expected 512 bytes/)
    expect(bad((b) => b.fill(0, 0, 4))).toThrow(/circId 0/)
    expect(bad((b) => (b[4] = 9))).toThrow(/unknown command/)
    expect(bad((b) => (b[5] = 0xff))).toThrow(/length/)
    expect(bad((b) => (b[511] = 1))).toThrow(/padding/)
    expect(() => encodeCell(1, CMD.RELAY, new Uint8Array(CELL_PAYLOAD_MAX + 1))).toThrow(/exceeds/)
  })

  it('relay plaintexts round-trip and refuse padding, unknown commands and oversize data', () => {
    const r = encodeRelay(RELAY.SEND, new Uint8Array([1, 2, 3]))
    expect(decodeRelay(r).data).toEqual(new Uint8Array([1, 2, 3]))
    const p = r.slice()
    p[100] = 1
    expect(() => decodeRelay(p)).toThrow(/padding/)
    const c = r.slice()
    c[0] = 0
    expect(() => decodeRelay(c)).toThrow(/unknown relay command/)
    expect(() => encodeRelay(RELAY.SEND, new Uint8Array(RELAY_DATA_MAX + 1))).toThrow(
      expect.objectContaining({ code: 'STELE_PAYLOAD_TOO_LARGE' }),
    )
  })
})

describe('layers', () => {
  it('open in order; a changed byte, a replay or a reordering fails', () => {
    const key = new Uint8Array(32).fill(9)
    const tx = { key, counter: 0 }
    const a = sealLayer(tx, new Uint8Array([1]))
    const b = sealLayer(tx, new Uint8Array([2]))
    expect(openLayer({ key, counter: 0 }, a)).toEqual(new Uint8Array([1]))
    expect(openLayer({ key, counter: 0 }, b)).toBeUndefined() // reordered
    const rx = { key, counter: 0 }
    expect(openLayer(rx, a)).toEqual(new Uint8Array([1]))
    expect(openLayer(rx, a)).toBeUndefined() // replayed
    const changed = b.slice()
    changed[0]! ^= 1
    expect(openLayer({ key, counter: 1 }, changed)).toBeUndefined()
  })
})

describe('handshake', () => {
  it('both sides derive the same keys; a hop without the node secret cannot answer', () => {
    const node = kp(1)
    const h = startHandshake(node.publicKey, new Uint8Array(32).fill(3))
    const a = answerHandshake(
      { seed: node.secretKey, publicKey: node.publicKey },
      h.request,
      new Uint8Array(32).fill(4),
    )
    expect(finishHandshake(h, a.reply)).toEqual(a.keys)
    // Another node that rewrites the id in the request to its own key answers with a tag bound to its key.
    const other = kp(2)
    const forged = Uint8Array.from(h.request)
    forged.set(other.publicKey, 0)
    const b = answerHandshake(
      { seed: other.secretKey, publicKey: other.publicKey },
      forged,
      new Uint8Array(32).fill(4),
    )
    expect(() => finishHandshake(h, b.reply)).toThrow(
      expect.objectContaining({ code: 'STELE_CIRCUIT_FAILED' }),
    )
    expect(() =>
      answerHandshake(
        { seed: other.secretKey, publicKey: other.publicKey },
        h.request,
        new Uint8Array(32).fill(4),
      ),
    ).toThrow(/another node/)
    // A changed tag, or Y of small order, fails.
    const t = Uint8Array.from(a.reply)
    t[40]! ^= 1
    expect(() => finishHandshake(h, t)).toThrow(/confirmation tag/)
    expect(() => finishHandshake(h, new Uint8Array(64))).toThrow(
      expect.objectContaining({ code: 'STELE_CIRCUIT_FAILED' }),
    )
  })
})

describe('registrations and messages', () => {
  const client = kp(5)
  const node = kp(6)
  const reg = (expiry: number, n = 0, secret = client.secretKey) =>
    signRegistration(
      {
        clientKey: client.publicKey,
        presenceNode: n ? kp(n).publicKey : node.publicKey,
        expiry,
        nonce: new Uint8Array(16),
      },
      secret,
    )

  it('verify, and any changed byte breaks the signature or the layout', () => {
    const r = reg(1000)
    expect(verifyRegistration(decodeRegistration(r.bytes))).toBe(true)
    for (const i of [0, 1, 40, 70, 80, 100]) {
      const b = Uint8Array.from(r.bytes)
      b[i]! ^= 1
      let ok: boolean
      try {
        ok = verifyRegistration(decodeRegistration(b))
      } catch {
        ok = false
      }
      expect(ok, `byte ${i}`).toBe(false)
    }
    expect(() => decodeRegistration(r.bytes.subarray(1))).toThrow(
      expect.objectContaining({ code: 'STELE_BAD_ENCODING' }),
    )
  })

  it('selectPresence keeps valid, unexpired records of the key, one per node, freshest first', () => {
    const recs = [
      reg(1000).bytes,
      reg(3000, 7).bytes,
      reg(2000).bytes,
      reg(5000, 8, kp(9).secretKey).bytes,
      new Uint8Array(3),
    ]
    const got = selectPresence(recs, client.publicKey, 500)
    expect(got.map((r) => r.expiry)).toEqual([3000, 2000])
    expect(selectPresence(recs, client.publicKey, 2500).map((r) => r.expiry)).toEqual([3000])
    expect(selectPresence(recs, node.publicKey, 0)).toEqual([])
  })

  it('messages verify and are bounded to one cell', () => {
    const e = signEnvelope(
      { from: client.publicKey, to: node.publicKey, time: 1, data: new Uint8Array(MESSAGE_DATA_MAX) },
      client.secretKey,
    )
    expect(verifyEnvelope(decodeEnvelope(e.bytes))).toBe(true)
    const b = Uint8Array.from(e.bytes)
    b[80]! ^= 1
    expect(verifyEnvelope(decodeEnvelope(b))).toBe(false)
    expect(() =>
      signEnvelope(
        { from: client.publicKey, to: node.publicKey, time: 1, data: new Uint8Array(MESSAGE_DATA_MAX + 1) },
        client.secretKey,
      ),
    ).toThrow(expect.objectContaining({ code: 'STELE_PAYLOAD_TOO_LARGE' }))
  })
})
