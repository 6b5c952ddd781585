import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2'
import { afterEach, describe, expect, it } from 'vitest'
import { BlocksByCidService, type CidBlockSource } from '../../../node/p2p/blocks-by-cid.ts'
import {
  decodeCidRequest,
  decodeCidResponse,
  encodeCidRequest,
  encodeCidResponse,
  MAX_CID_BLOCK,
} from '../../../node/p2p/blocks-by-cid-codec.ts'
import type { P2pHost } from '../../../node/p2p/host.ts'
import { digestOf, once, storageFixture } from '../storage/fixture.ts'
import { CHAIN, connect, startHosts, stopHosts } from './hosts.ts'

type Fixture = Awaited<ReturnType<typeof storageFixture>>
let hosts: P2pHost[] = []
let services: BlocksByCidService[] = []
let stores: Fixture[] = []
afterEach(async () => {
  for (const s of services) await s.stop()
  await stopHosts(hosts)
  for (const s of stores) await s.close()
  hosts = []
  services = []
  stores = []
})

async function pair(sources: [CidBlockSource, CidBlockSource]) {
  hosts = await startHosts(2, 'memory')
  services = hosts.map((h, i) => new BlocksByCidService({ chainId: CHAIN, source: sources[i]! }, h))
  for (const s of services) await s.start()
  await connect(hosts[1]!, hosts[0]!)
  return { server: hosts[0]!, client: services[1]! }
}

async function rawCid(bytes: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await sha256Hasher.digest(bytes))
}

describe('blocks-by-cid codec', () => {
  it('round-trips requests and responses and refuses what is out of protocol', async () => {
    const cid = await rawCid(new Uint8Array([1, 2, 3]))
    expect(decodeCidRequest(encodeCidRequest(cid)).equals(cid)).toBe(true)
    expect(() => decodeCidRequest(new Uint8Array([2, ...cid.bytes]))).toThrow(/version/)
    expect(() => decodeCidRequest(new Uint8Array([1, 0xff, 0xff]))).toThrow()
    expect(decodeCidResponse(encodeCidResponse({ found: false }))).toEqual({ found: false })
    expect(decodeCidResponse(encodeCidResponse({ found: true, bytes: new Uint8Array([9]) }))).toEqual({
      found: true,
      bytes: new Uint8Array([9]),
    })
    expect(() => decodeCidResponse(new Uint8Array([0]))).toThrow()
    expect(() => decodeCidResponse(new Uint8Array([2, 1]))).toThrow()
    expect(() => encodeCidResponse({ found: true, bytes: new Uint8Array(MAX_CID_BLOCK + 1) })).toThrow()
  })
})

describe('blocks by CID between two hosts', () => {
  it('fetches a whole file DAG from a peer, every block checked, and the copy reads the same', async () => {
    const a = await storageFixture()
    const b = await storageFixture()
    stores = [a, b]
    // 600 KiB in 256 KiB chunks, each different: a dag-pb root with three raw leaves.
    const data = new Uint8Array(600 * 1024).map((_, i) => (i * 31 + (i >>> 18)) & 0xff)
    const cid = CID.parse((await a.storage.add(once(data))).cid)
    const { server, client } = await pair([a.storage.blocks, b.storage.blocks])
    expect(await b.storage.blocks.has(cid)).toBe(false)
    const fetched = await client.fetchDag(cid, b.storage, () => [server.peerId])
    expect(fetched).toBe(4)
    expect(await digestOf(await b.storage.cat(cid))).toEqual(await digestOf([data]))
    expect(await client.fetchDag(cid, b.storage, () => [server.peerId])).toBe(0)
  }, 30_000)

  it('answers not-found for a block it lacks, and refuses bytes that do not hash to the CID', async () => {
    const good = new Uint8Array([1, 2, 3])
    const goodCid = await rawCid(good)
    const lying: CidBlockSource = { has: async () => true, getBytes: async () => new Uint8Array([6, 6, 6]) }
    const empty: CidBlockSource = { has: async () => false, getBytes: async () => new Uint8Array() }
    const { server, client } = await pair([lying, empty])
    await expect(client.fetchBlock(server.peerId, goodCid)).rejects.toMatchObject({
      code: 'STELE_BAD_ENCODING',
    })
    await expect(client.fetchFromAny([server.peerId], goodCid)).rejects.toMatchObject({
      code: 'STELE_NOT_FOUND',
    })
    // The other direction: host 1 serves an empty store.
    const back = services[0]!
    expect(await back.fetchBlock(hosts[1]!.peerId, goodCid)).toBeUndefined()
  }, 30_000)

  it('stops at the caller’s abort', async () => {
    const gate = new Promise<void>(() => undefined)
    const slow: CidBlockSource = { has: async () => true, getBytes: () => gate.then(() => new Uint8Array()) }
    const { server, client } = await pair([slow, slow])
    const ctl = new AbortController()
    const p = client.fetchBlock(server.peerId, await rawCid(new Uint8Array([1])), { signal: ctl.signal })
    ctl.abort(new Error('enough'))
    await expect(p).rejects.toThrow('enough')
  }, 30_000)
})
