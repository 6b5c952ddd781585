import { setImmediate as turn } from 'node:timers/promises'
import fc from 'fast-check'
import { importFile } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import type { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { fileRoot, READ_AHEAD, readFile } from '../../../node/storage/file-read.ts'
import { bytes, collect, once } from './fixture.ts'

/** A file as a small-chunked DAG in memory (many levels from few bytes), and a reader that counts its reads. */
async function smallDag(data: Uint8Array, rawLeaves: boolean) {
  const blocks = new Map<string, Uint8Array>()
  const entry = await importFile(
    { content: once(data) },
    {
      put: async (cid: CID, b: Uint8Array) => {
        blocks.set(cid.toString(), b)
        return cid
      },
    },
    {
      cidVersion: 1,
      rawLeaves,
      chunker: fixedSize({ chunkSize: 100 }),
      layout: balanced({ maxChildrenPerNode: 3 }),
    },
  )
  const reads = { n: 0 }
  const get = async (cid: CID) => {
    reads.n++
    const b = blocks.get(cid.toString())
    if (!b) throw new Error(`test DAG has no ${cid}`)
    return b
  }
  const root = fileRoot(entry.cid, blocks.get(entry.cid.toString())!)
  return { blocks, root, get, reads }
}

const data = bytes(10_000, 7) // 100 leaves, 3 children a node: 5 levels

describe('readFile', () => {
  for (const rawLeaves of [true, false])
    it(`gives any range's bytes exactly (${rawLeaves ? 'raw' : 'dag-pb'} leaves)`, async () => {
      const dag = await smallDag(data, rawLeaves)
      expect(dag.root.size).toBe(data.length)
      expect(Buffer.compare(await collect(readFile(dag.get, dag.root)), data)).toBe(0)
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: data.length }),
          fc.integer({ min: 0, max: data.length + 50 }),
          async (offset, length) => {
            const got = await collect(readFile(dag.get, dag.root, { offset, length }))
            expect(Buffer.compare(got, data.subarray(offset, offset + length))).toBe(0)
          },
        ),
        { seed: 4242, numRuns: 60 },
      )
    })

  it('reads only a few blocks ahead of its consumer, and none after the consumer stops', async () => {
    const dag = await smallDag(data, true)
    const content = readFile(dag.get, dag.root)
    await content.next()
    // Every read the walk would start on its own resolves within a few turns (the blocks are in memory).
    for (let i = 0; i < 5; i++) await turn()
    // The root is read before; each of the 4 levels below it has at most READ_AHEAD reads started early.
    const bound = 4 * (READ_AHEAD + 1)
    expect(dag.reads.n).toBeLessThanOrEqual(bound)
    await content.return(undefined)
    const atStop = dag.reads.n
    for (let i = 0; i < 5; i++) await turn()
    expect(dag.reads.n).toBe(atStop)
    expect(dag.blocks.size).toBeGreaterThan(100)
  })

  it('refuses a DAG whose leaf disagrees with its parent about its size', async () => {
    const dag = await smallDag(data, true)
    const leaf = [...dag.blocks.entries()].find(([, b]) => b.length === 100)!
    dag.blocks.set(leaf[0], leaf[1].subarray(0, 99))
    await expect(collect(readFile(dag.get, dag.root))).rejects.toMatchObject({ code: 'STELE_BAD_REQUEST' })
  })

  it('refuses an offset past the end before reading', async () => {
    const dag = await smallDag(data, true)
    expect(() => readFile(dag.get, dag.root, { offset: data.length + 1 })).toThrow(
      expect.objectContaining({ code: 'STELE_RANGE_NOT_SATISFIABLE' }),
    )
    expect(dag.reads.n).toBe(0)
  })
})
