import { importFile } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import type { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import {
  decodeFileNode,
  RAW,
  type StorageProofBundle,
  selectChild,
  verifyStorageProof,
} from '../../core/storage-proof.ts'

/** A 3-level DAG: 4-byte raw leaves, at most 3 children a node, 40 bytes (10 leaves). */
async function smallDag() {
  const blocks = new Map<string, Uint8Array>()
  const data = new Uint8Array(40).map((_, i) => i)
  const { cid } = await importFile(
    { content: [data] },
    {
      put: async (c: CID, b: Uint8Array) => {
        blocks.set(c.toString(), b)
        return c
      },
    },
    {
      cidVersion: 1,
      rawLeaves: true,
      reduceSingleLeafToSelf: true,
      chunker: fixedSize({ chunkSize: 4 }),
      layout: balanced({ maxChildrenPerNode: 3 }),
    },
  )
  const bundle = (offset: number): StorageProofBundle => {
    const nodes: Uint8Array[] = []
    let cur = cid
    let rel = offset
    while (cur.code !== RAW) {
      const bytes = blocks.get(cur.toString())!
      nodes.push(bytes)
      const c = selectChild(decodeFileNode(bytes), rel)!
      cur = c.cid!
      rel = c.offset
    }
    return { offset, nodes, leaf: blocks.get(cur.toString())! }
  }
  return { cid, data, bundle }
}

describe('verifyStorageProof', () => {
  it('verifies every offset of a 3-level DAG and names the byte in its leaf', async () => {
    const { cid, data, bundle } = await smallDag()
    expect(bundle(0).nodes.length).toBe(3)
    for (let offset = 0; offset < data.length; offset++) {
      const b = bundle(offset)
      const r = verifyStorageProof(cid.toString(), offset, b)
      expect(r.ok, r.error).toBe(true)
      expect(r.fileSize).toBe(40)
      expect(b.leaf[r.leafOffset!]).toBe(data[offset])
    }
  })

  it('fails at a named check for another offset, a swapped leaf, a dropped node, an offset past the end', async () => {
    const { cid, bundle } = await smallDag()
    const root = cid.toString()
    const failed = (r: ReturnType<typeof verifyStorageProof>) => (r.ok ? 'ok' : r.checks.at(-1)!.name)
    expect(failed(verifyStorageProof(root, 5, bundle(4)))).toBe('bundle.format')
    expect(failed(verifyStorageProof(root, 5, { ...bundle(5), leaf: bundle(9).leaf }))).toBe('leaf.hash')
    expect(failed(verifyStorageProof(root, 5, { ...bundle(5), nodes: bundle(5).nodes.slice(1) }))).toBe(
      'node.hash',
    )
    expect(failed(verifyStorageProof(root, 5, { ...bundle(5), nodes: bundle(5).nodes.slice(0, 2) }))).toBe(
      'leaf.hash',
    )
    expect(failed(verifyStorageProof(root, 40, { ...bundle(39), offset: 40 }))).toBe('node.offset')
    expect(failed(verifyStorageProof('nonsense', 5, bundle(5)))).toBe('root.cid')
  })

  it('a one-block file is its raw leaf with no nodes', async () => {
    const leaf = new TextEncoder().encode('hello world')
    const root = 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'
    expect(verifyStorageProof(root, 4, { offset: 4, nodes: [], leaf })).toMatchObject({
      ok: true,
      leafOffset: 4,
    })
    expect(verifyStorageProof(root, 11, { offset: 11, nodes: [], leaf }).ok).toBe(false)
  })
})
