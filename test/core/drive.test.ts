import { MemoryBlockstore } from 'blockstore-core/memory'
import fc from 'fast-check'
import { importer } from 'ipfs-unixfs-importer'
import { describe, expect, it } from 'vitest'
import {
  decodeDriveCreate,
  decodeDrivePut,
  encodeDriveCreate,
  encodeDrivePut,
} from '../../core/drive-payloads.ts'
import { directoryBlock } from '../../core/drive-proof.ts'
import { decodeDriveState, encodeDriveState } from '../../core/drive-state.ts'

describe('drive directory', () => {
  it('the empty drive is the well-known empty UnixFS directory', () => {
    expect(directoryBlock([]).cid.toString()).toBe(
      'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354',
    )
  })

  it('has the CID ipfs-unixfs-importer (kubo options) gives the same folder', async () => {
    const bs = new MemoryBlockstore()
    const inputs = [
      { path: 'b.txt', content: new TextEncoder().encode('hello b') },
      { path: 'a.bin', content: new Uint8Array(300_000).fill(7) },
    ]
    const out = []
    for await (const e of importer(inputs, bs, {
      cidVersion: 1,
      rawLeaves: true,
      wrapWithDirectory: true,
    }))
      out.push(e)
    const root = out.at(-1)!
    const files = out
      .filter((e) => e.path !== '')
      .map((e) => ({ name: e.path ?? '', cid: e.cid.bytes, size: Number(e.size), tsize: Number(e.size) }))
    // The importer's `size` is the DAG size (Tsize); the file sizes are not part of the directory.
    expect(directoryBlock(files).cid.toString()).toBe(root.cid.toString())
  })
})

describe('drive codecs', () => {
  it('drive-create and drive-put round-trip and refuse trailing bytes', () => {
    fc.assert(
      fc.property(
        fc.record({
          fee: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          capacity: fc.integer({ min: 1, max: 2 ** 40 }),
          replicas: fc.integer({ min: 1, max: 16 }),
          duration: fc.integer({ min: 1, max: 2 ** 30 }),
          price: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        }),
        fc.integer({ min: 1, max: 1000 }),
        (p, k) => {
          const create = { ...p, period: Math.min(k, p.duration) }
          const b = encodeDriveCreate(create)
          expect(decodeDriveCreate(b)).toEqual(create)
          expect(() => decodeDriveCreate(new Uint8Array([...b, 0]))).toThrow(/trailing/)
        },
      ),
      { seed: 1313, numRuns: 200 },
    )
    const put = {
      fee: 1n,
      drive: new Uint8Array(32).fill(1),
      name: 'file.bin',
      cid: directoryBlock([]).cid.bytes,
      size: 10,
      tsize: 12,
    }
    expect(decodeDrivePut(encodeDrivePut(put))).toEqual(put)
    expect(() => encodeDrivePut({ ...put, name: 'a/b' })).toThrow(/name/)
    expect(() => encodeDrivePut({ ...put, tsize: 9 })).toThrow(/tsize/)
  })

  it('the drive state round-trips', () => {
    const d = {
      status: 'active' as const,
      owner: new Uint8Array(32).fill(2),
      capacity: 100,
      used: 10,
      replicas: 1,
      period: 3,
      duration: 40,
      start: 5,
      end: 45,
      price: 7n,
      escrow: 200n,
      root: directoryBlock([]).cid.bytes,
      files: [{ name: 'x', cid: directoryBlock([]).cid.bytes, size: 10, tsize: 12 }],
      replicators: [
        { key: new Uint8Array(32).fill(3), passed: 1, failed: 0, missed: 2, answered: 8, paid: 21n },
      ],
      challenge: { height: 8, seed: new Uint8Array(32).fill(4) },
    }
    expect(decodeDriveState(encodeDriveState(d))).toEqual(d)
  })
})
