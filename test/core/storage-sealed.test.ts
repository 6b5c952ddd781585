import { describe, expect, it } from 'vitest'
import { openStream, SEALED_HEADER_BYTES, sealStream } from '../../core/sealed-stream.ts'

const key = new Uint8Array(32).map((_, i) => i)
const fixedNonce = (n: number) => new Uint8Array(n).fill(7)
async function* from(...parts: Uint8Array[]) {
  yield* parts
}
async function all(s: AsyncIterable<Uint8Array>) {
  const out: Uint8Array[] = []
  for await (const p of s) out.push(p)
  return Buffer.concat(out)
}
const seal = (data: Uint8Array, chunk = 16) => all(sealStream(from(data), key, fixedNonce, chunk))

describe('sealed stream (secretbox chunks)', () => {
  it('round-trips sizes around the chunk size, split at any point', async () => {
    for (const size of [0, 1, 15, 16, 17, 32, 33, 100]) {
      const data = new Uint8Array(size).map((_, i) => i * 7)
      const sealed = await seal(data)
      // header + ceil((size+1)/16) chunks each with a 16-byte tag
      expect(sealed.length).toBe(SEALED_HEADER_BYTES + size + 16 * (Math.floor(size / 16) + 1))
      for (const cut of [1, 5, 24, 40]) {
        const parts = [sealed.subarray(0, cut), sealed.subarray(cut)]
        expect(Buffer.compare(await all(openStream(from(...parts), key)), data), `${size}/${cut}`).toBe(0)
      }
    }
  })

  it('refuses a wrong key, a changed byte, a cut stream and a dropped chunk', async () => {
    const data = new Uint8Array(40).fill(9)
    const sealed = await seal(data)
    const open = (b: Uint8Array, k = key) => all(openStream(from(b), k))
    await expect(open(sealed, new Uint8Array(32))).rejects.toMatchObject({ code: 'STELE_BAD_ENCODING' })
    const changed = Uint8Array.from(sealed)
    changed[30]! ^= 1
    await expect(open(changed)).rejects.toMatchObject({ code: 'STELE_BAD_ENCODING' })
    await expect(open(sealed.subarray(0, sealed.length - 24))).rejects.toMatchObject({
      code: 'STELE_BAD_ENCODING',
    })
    const dropped = Buffer.concat([sealed.subarray(0, 24), sealed.subarray(24 + 32)])
    await expect(open(dropped)).rejects.toMatchObject({ code: 'STELE_BAD_ENCODING' })
  })

  it('is deterministic for a fixed key and nonce (vector in docs/storage.md)', async () => {
    const sealed = await seal(new TextEncoder().encode('hello'), 65_536)
    expect(Buffer.from(sealed).toString('hex')).toMatchInlineSnapshot(
      `"5342583100010000070707070707070707070707070707073f108c0c0e863d9f918bee8f99ce624a80badf3629"`,
    )
  })
})
