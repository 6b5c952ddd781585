import { afterEach, describe, expect, it } from 'vitest'
import { SteleError } from '../../../core/errors.ts'
import { type BlockSource, BlockSyncService } from '../../../node/p2p/block-sync.ts'
import {
  decodeSyncRequest,
  decodeSyncStatus,
  encodeSyncRequest,
  encodeSyncStatus,
  MAX_SYNC_BLOCKS,
} from '../../../node/p2p/block-sync-codec.ts'
import type { P2pHost } from '../../../node/p2p/host.ts'
import { CHAIN, connect, startHosts, stopHosts } from './hosts.ts'

// Block h is h+99 bytes of the value h, so a block out of place or cut short shows.
const block = (h: number) => new Uint8Array(h + 99).fill(h & 0xff)

class MemorySource implements BlockSource {
  reads = 0
  constructor(
    public head: number,
    private readonly gate?: Promise<void>,
  ) {}
  async getBlockBytes(height: number): Promise<Uint8Array | undefined> {
    this.reads++
    if (this.gate) await this.gate
    return height <= this.head ? block(height) : undefined
  }
}

let hosts: P2pHost[] = []
let services: BlockSyncService[] = []
afterEach(async () => {
  for (const s of services) await s.stop()
  await stopHosts(hosts)
  hosts = []
  services = []
})

async function pair(transport: 'tcp' | 'memory', source: BlockSource, timeoutMs?: number) {
  hosts = await startHosts(2, transport)
  const [server, client] = hosts as [P2pHost, P2pHost]
  const opts = timeoutMs === undefined ? {} : { timeoutMs }
  const serving = new BlockSyncService({ chainId: CHAIN, source, ...opts }, server)
  const fetching = new BlockSyncService({ chainId: CHAIN, ...opts }, client)
  services = [serving, fetching]
  await serving.start()
  await fetching.start()
  await connect(client, server)
  return { server, client, fetching }
}

describe('sync codec', () => {
  it('lays out a request as version, u64 from, u16 count', () => {
    expect(Buffer.from(encodeSyncRequest({ from: 258, count: 3 })).toString('hex')).toBe(
      '0100000000000001020003',
    )
    expect(decodeSyncRequest(encodeSyncRequest({ from: 9, count: MAX_SYNC_BLOCKS }))).toEqual({
      from: 9,
      count: MAX_SYNC_BLOCKS,
    })
    expect(decodeSyncStatus(encodeSyncStatus({ ok: true }))).toEqual({ ok: true })
    expect(decodeSyncStatus(encodeSyncStatus({ ok: false, reason: 'no' }))).toEqual({
      ok: false,
      reason: 'no',
    })
  })

  it('refuses height 0, a count of 0 or past the limit, another version and trailing bytes', () => {
    expect(() => encodeSyncRequest({ from: 0, count: 1 })).toThrow(SteleError)
    expect(() => encodeSyncRequest({ from: 1, count: 0 })).toThrow(SteleError)
    expect(() => encodeSyncRequest({ from: 1, count: MAX_SYNC_BLOCKS + 1 })).toThrow(SteleError)
    expect(() => decodeSyncRequest(Buffer.from('0200000000000000010001', 'hex'))).toThrow(/version/)
    expect(() => decodeSyncRequest(Buffer.from('010000000000000001000100', 'hex'))).toThrow(SteleError)
    expect(() => decodeSyncRequest(Buffer.from('0100000000000000010101', 'hex'))).toThrow(/count/)
    expect(() => decodeSyncStatus(Uint8Array.of(2, 0))).toThrow(SteleError)
  })
})

describe.each(['memory', 'tcp'] as const)('block sync over %s', (transport) => {
  it('fetches blocks 1..N by range, and fewer past the head', async () => {
    const { server, fetching } = await pair(transport, new MemorySource(300))
    const first = await fetching.fetchBlocks(server.peerId, { from: 1, count: MAX_SYNC_BLOCKS })
    const rest = await fetching.fetchBlocks(server.peerId, { from: 1 + first.length, count: MAX_SYNC_BLOCKS })
    const all = [...first, ...rest]
    expect(first).toHaveLength(MAX_SYNC_BLOCKS)
    expect(all).toHaveLength(300)
    expect(all).toEqual(Array.from({ length: 300 }, (_, i) => block(i + 1)))
    expect(await fetching.fetchBlocks(server.peerId, { from: 301, count: 5 })).toEqual([])
  })
})

describe('block sync', () => {
  it('aborts a fetch the server is slow to answer, with the caller reason', async () => {
    let open!: () => void
    const source = new MemorySource(10, new Promise<void>((r) => (open = r)))
    const { server, fetching } = await pair('memory', source)
    const ctl = new AbortController()
    const fetch = fetching.fetchBlocks(server.peerId, { from: 1, count: 10 }, { signal: ctl.signal })
    const outcome = expect(fetch).rejects.toThrow('caller gave up')
    await expect.poll(() => source.reads).toBe(1)
    ctl.abort(new Error('caller gave up'))
    await outcome
    open()
    // The connection survives an aborted request: the next one is answered.
    expect(await fetching.fetchBlocks(server.peerId, { from: 1, count: 2 })).toHaveLength(2)
  })

  it('times out on its own deadline as STELE_UNAVAILABLE', async () => {
    const { server, fetching } = await pair('memory', new MemorySource(10, new Promise<void>(() => {})), 300)
    await expect(fetching.fetchBlocks(server.peerId, { from: 1, count: 1 })).rejects.toMatchObject({
      code: 'STELE_UNAVAILABLE',
    })
  })

  it('is STELE_UNAVAILABLE against a peer that does not serve blocks', async () => {
    hosts = await startHosts(2, 'memory')
    const [a, b] = hosts as [P2pHost, P2pHost]
    const fetching = new BlockSyncService({ chainId: CHAIN }, a)
    await connect(a, b)
    await expect(fetching.fetchBlocks(b.peerId, { from: 1, count: 1 })).rejects.toMatchObject({
      code: 'STELE_UNAVAILABLE',
    })
  })

  it('refuses a malformed range before sending it', async () => {
    const { server, fetching } = await pair('memory', new MemorySource(1))
    await expect(fetching.fetchBlocks(server.peerId, { from: 0, count: 1 })).rejects.toMatchObject({
      code: 'STELE_BAD_REQUEST',
    })
  })
})
