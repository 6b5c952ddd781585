import { createHash } from 'node:crypto'
import { decode as decodePb } from '@ipld/dag-pb'
import { importFile } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHUNK_SIZE, kuboV1Options } from '../../../node/storage/unixfs-options.ts'
import { KiB, kuboRandom, MiB } from '../../helpers/kubo-random.ts'
import { digestOf, once, storageFixture } from './fixture.ts'

/**
 * CIDs that kubo itself produced, each with the recipe of its input:
 * - kubo test/cli/add_test.go: "hello world" with CIDv1 (raw leaf), and the deterministic files of its
 *   legacy-cid-v0 (256 KiB chunks, 174 links, CIDv0) and legacy-cid-v1 (1 MiB chunks, 174 links, CIDv1, raw leaves)
 *   profiles, just under and just over 174 leaves (testutils/random_deterministic.go gives the bytes);
 * - kubo test/sharness/t0124-gateway-ipns-record: `echo "Hello IPFS" | ipfs add --cid-version 1`;
 * - the empty file's raw CID (the SHA-256 of no bytes), as `ipfs add --cid-version 1 --raw-leaves` of /dev/null.
 */
const KUBO = {
  empty: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
  helloWorld: 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e',
  helloIpfs: 'bafkreidfdrlkeq4m4xnxuyx6iae76fdm4wgl5d4xzsb77ixhyqwumhz244',
  v0at174: { size: 44544 * KiB, seed: 'v0-seed', cid: 'QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2' },
  v0at175: { size: 44800 * KiB, seed: 'v0-seed', cid: 'QmepeWtdmS1hHXx1oZXsPUv6bMrfRRKfZcoPPU4eEfjnbf' },
  v1at174: {
    size: 174 * MiB,
    seed: 'v1-seed',
    cid: 'bafybeigwduxcf2aawppv3isnfeshnimkyplvw3hthxjhr2bdeje4tdaicu',
  },
  v1at175: {
    size: 175 * MiB,
    seed: 'v1-seed',
    cid: 'bafybeidhd7lo2n2v7lta5yamob3xwhbxcczmmtmhquwhjesi35jntf7mpu',
  },
}

/** A blockstore that keeps only the root's bytes: these files are 44-175 MiB and only the CID is checked. */
function rootKeeper() {
  const blocks = new Map<string, Uint8Array>()
  return {
    blocks,
    put: async (cid: CID, bytes: Uint8Array) => {
      if (cid.code === 0x70) blocks.set(cid.toString(), bytes)
      return cid
    },
  }
}

const utf8 = (s: string) => new TextEncoder().encode(s)
let fx: Awaited<ReturnType<typeof storageFixture>>
beforeAll(async () => {
  fx = await storageFixture()
})
afterAll(() => fx.close())

describe('CIDs equal kubo `ipfs add --cid-version 1 --raw-leaves`', () => {
  it('the empty file, "hello world" and "Hello IPFS\\n" (one raw leaf each)', async () => {
    expect((await fx.storage.add(once(new Uint8Array(0)))).cid).toBe(KUBO.empty)
    expect((await fx.storage.add(once(utf8('hello world')))).cid).toBe(KUBO.helloWorld)
    expect((await fx.storage.add(once(utf8('Hello IPFS\n')))).cid).toBe(KUBO.helloIpfs)
  })

  it('a file of exactly 256 KiB is one raw leaf: its CID is the raw CID of its SHA-256', async () => {
    const bytes = [...kuboRandom(CHUNK_SIZE, 'stele-256k')][0]!
    const r = await fx.storage.add(once(bytes))
    const cid = CID.parse(r.cid)
    expect(cid.code).toBe(0x55)
    expect(Buffer.from(cid.multihash.digest).toString('hex')).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    )
    expect(r).toMatchObject({ size: CHUNK_SIZE, blocks: 1 })
  })

  // The importer with kubo's own settings of each profile reproduces kubo's CIDs on both sides of the 174-link
  // boundary: the chunker, the balanced layout's rebalancing and CIDv1 raw leaves are kubo's.
  it.each([
    ['legacy-cid-v0, 174 leaves', KUBO.v0at174, 0, 262_144, 174],
    ['legacy-cid-v0, 175 leaves (depth 2)', KUBO.v0at175, 0, 262_144, 2],
    ['legacy-cid-v1, 174 leaves', KUBO.v1at174, 1, 1_048_576, 174],
    ['legacy-cid-v1, 175 leaves (depth 2)', KUBO.v1at175, 1, 1_048_576, 2],
  ] as const)('%s', { timeout: 60_000 }, async (_name, f, version, chunkSize, rootLinks) => {
    const store = rootKeeper()
    const r = await importFile({ content: kuboRandom(f.size, f.seed) }, store, {
      ...kuboV1Options(),
      ...(version === 0 ? { cidVersion: 0, rawLeaves: false } : {}),
      chunker: fixedSize({ chunkSize }),
      layout: balanced({ maxChildrenPerNode: 174 }),
    })
    expect(r.cid.toString()).toBe(f.cid)
    expect(decodePb(store.blocks.get(r.cid.toString())!).Links).toHaveLength(rootLinks)
  })

  it('a multi-chunk file and one of 175 leaves (depth 2) round-trip byte for byte through LevelDB', async () => {
    for (const [size, links] of [
      [3 * CHUNK_SIZE + 17, 4],
      [175 * CHUNK_SIZE, 2],
    ] as const) {
      const r = await fx.storage.add(
        (async function* () {
          yield* kuboRandom(size, `stele-${size}`, 100_000)
        })(),
      )
      expect(r.size).toBe(size)
      const root = CID.parse(r.cid)
      expect(root.code).toBe(0x70)
      expect(decodePb(await fx.storage.blocks.getBytes(root)).Links).toHaveLength(links)
      expect(await digestOf(await fx.storage.cat(root))).toEqual(
        await digestOf(kuboRandom(size, `stele-${size}`)),
      )
    }
  })
})
