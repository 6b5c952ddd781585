import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RELAY, RELAY_DATA_MAX } from '../../core/presence/cell.ts'
import {
  decodeFragment,
  FRAGMENT_PIECE,
  fragment,
  MAX_FRAGMENTS,
  MESSAGE_MAX,
  Reassembler,
  sendWhole,
} from '../../core/presence/fragment.ts'
import { ManualTimers } from '../gateway/helpers/manual-timers.ts'

const bytes = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 7) % 256)
const refused = (f: () => unknown, what: RegExp) =>
  expect(f).toThrow(
    expect.objectContaining({ code: 'STELE_BAD_ENCODING', message: expect.stringMatching(what) }),
  )

describe('presence fragments', () => {
  it('splits and joins any size from one byte over a cell up to MESSAGE_MAX, in full pieces', () => {
    fc.assert(
      fc.property(fc.integer({ min: RELAY_DATA_MAX + 1, max: MESSAGE_MAX }), (n) => {
        const data = bytes(n)
        const parts = fragment(RELAY.SEND, data, 42)
        expect(parts.length).toBe(Math.ceil(n / FRAGMENT_PIECE))
        for (const p of parts) expect(p.length).toBeLessThanOrEqual(RELAY_DATA_MAX)
        const r = new Reassembler({ timers: new ManualTimers() })
        const out = parts.map((p) => r.push(p))
        expect(out.slice(0, -1).every((o) => o === undefined)).toBe(true)
        expect(out.at(-1)!.command).toBe(RELAY.SEND)
        expect(Buffer.from(out.at(-1)!.data).equals(Buffer.from(data))).toBe(true)
        expect(r.pending).toBe(0)
      }),
      { seed: 17, numRuns: 40 },
    )
  })

  it('sends what fits one cell whole, the rest in fragments with fresh ids', () => {
    const sent: [number, number][] = []
    let id = 7
    const send = (cmd: number, d: Uint8Array) => sent.push([cmd, d.length])
    sendWhole(send, RELAY.DELIVER, bytes(RELAY_DATA_MAX), () => id++)
    expect(sent).toEqual([[RELAY.DELIVER, RELAY_DATA_MAX]])
    sendWhole(send, RELAY.DELIVER, bytes(RELAY_DATA_MAX + 1), () => id++)
    expect(sent.slice(1).map(([c]) => c)).toEqual([RELAY.FRAGMENT, RELAY.FRAGMENT])
    expect(id).toBe(8)
    expect(() => fragment(RELAY.SEND, bytes(MESSAGE_MAX + 1), 1)).toThrow(
      expect.objectContaining({ code: 'STELE_PAYLOAD_TOO_LARGE' }),
    )
    refused(() => fragment(RELAY.EXTEND, bytes(1000), 1), /sent whole/)
  })

  it('the header is command | msgId u32 | index u16 | count u16 (docs/presence.md §2.1)', () => {
    const [first] = fragment(RELAY.DELIVER, bytes(1000), 0x01020304)
    expect(Buffer.from(first!.subarray(0, 9)).toString('hex')).toBe(`07010203040000${'0003'}`)
    expect(decodeFragment(first!)).toMatchObject({
      command: RELAY.DELIVER,
      msgId: 0x01020304,
      index: 0,
      count: 3,
    })
  })

  it('refuses malformed fragments: too short, count 1 or too many, index past count, short middle piece', () => {
    const [a, b] = fragment(RELAY.SEND, bytes(1000), 1)
    refused(() => decodeFragment(a!.subarray(0, 9)), /no fragment/)
    const edit = (f: Uint8Array, at: number, v: number) => {
      const c = f.slice()
      new DataView(c.buffer).setUint16(at, v)
      return c
    }
    refused(() => decodeFragment(edit(a!, 7, 1)), /count 1/)
    refused(() => decodeFragment(edit(a!, 7, MAX_FRAGMENTS + 1)), /count/)
    refused(() => decodeFragment(edit(a!, 5, 3)), /index 3 of 3/)
    refused(() => decodeFragment(b!.subarray(0, 100)), /holds 91 bytes/)
    const nested = a!.slice()
    nested[0] = RELAY.FRAGMENT
    refused(() => decodeFragment(nested), /never fragmented/)
  })

  it('refuses duplicate and out-of-order fragments, and drops the partial message', () => {
    const parts = fragment(RELAY.SEND, bytes(2000), 9) // five fragments
    const r = new Reassembler({ timers: new ManualTimers() })
    r.push(parts[0]!)
    r.push(parts[1]!)
    refused(() => r.push(parts[1]!), /fragment 1 where 2 was expected \(duplicate\)/)
    expect(r.pending).toBe(0)
    refused(() => r.push(parts[2]!), /without fragment 0/)
    r.push(parts[0]!)
    refused(() => r.push(parts[3]!), /fragment 3 where 1 was expected \(out of order\)/)
    r.push(parts[0]!)
    refused(() => r.push(parts[0]!), /duplicate/)
    const other = fragment(RELAY.DELIVER, bytes(2000), 9)
    r.push(parts[0]!)
    refused(() => r.push(other[1]!), /another count or command/)
  })

  it('bounds partial messages in number, size and age (injected timers)', () => {
    const timers = new ManualTimers()
    const r = new Reassembler({ timers, maxPartial: 2, maxBytes: 1000, timeoutMs: 5000 })
    r.push(fragment(RELAY.SEND, bytes(900), 1)[0]!)
    r.push(fragment(RELAY.SEND, bytes(900), 2)[0]!)
    refused(() => r.push(fragment(RELAY.SEND, bytes(900), 3)[0]!), /more than 2 partial/)
    refused(() => r.push(fragment(RELAY.SEND, bytes(2000), 4)[0]!), /exceed 1000 bytes/)
    timers.advance(4999)
    expect(r.pending).toBe(2)
    timers.advance(1)
    expect(r.pending).toBe(0)
    expect(r.expired).toBe(2)
    // The last piece may not carry the message past the limit either.
    const over = fragment(RELAY.SEND, bytes(FRAGMENT_PIECE * 2 + 100), 5)
    const small = new Reassembler({ timers, maxBytes: FRAGMENT_PIECE * 2 + 1 })
    small.push(over[0]!)
    small.push(over[1]!)
    refused(() => small.push(over[2]!), /exceed/)
    r.push(fragment(RELAY.SEND, bytes(900), 6)[0]!)
    r.clear()
    expect(r.pending).toBe(0)
    expect(timers.pending).toBe(0)
  })
})
