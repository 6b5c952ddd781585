import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { keyPairFromSeed } from '../../../core/ed25519.ts'
import { decodeWireBlock, loadWireBlock } from '../../../node/chain/wire-block.ts'
import { RecentBlocks } from '../../../node/p2p/recent-blocks.ts'
import { BatchMaker } from '../../helpers/batches.ts'
import { inProcessNetwork, ledgerGenesis } from '../../helpers/in-process-network.ts'

const keyA = keyPairFromSeed(new Uint8Array(32).fill(21))
const keyB = keyPairFromSeed(new Uint8Array(32).fill(22))
const genesis = ledgerGenesis({ chainId: 'recent-blocks-test', producers: [keyA, keyB] })
const nodes = inProcessNetwork(genesis)
afterEach(() => nodes.closeAll())

describe('recent blocks served to peers', () => {
  it('rebuilds a block once, and never serves the block a rollback replaced', async () => {
    const a = await nodes.open(keyA, { blockIntervalMs: 60_000, start: false })
    const gw = new BatchMaker(genesis.chainId)
    await a.registerGateway(toHex(gw.key.publicKey), 'gw')
    await a.producer.produce()
    // Records read by a get or a getMany: a block answered from memory reads nothing.
    let reads = 0
    const db = {
      get: (k: string) => {
        reads++
        return a.db.get(k)
      },
      getMany: (ks: string[]) => {
        reads++
        return a.db.getMany(ks)
      },
    } as unknown as typeof a.db
    const recent = new RecentBlocks({ db, index: a.index })
    const first = await recent.get(1)
    expect(first).toEqual(await loadWireBlock(a.db, 1))
    const readsOnce = reads
    expect(readsOnce).toBeGreaterThan(0)
    expect(await recent.get(1)).toBe(first)
    expect(reads).toBe(readsOnce)
    expect(await recent.get(2)).toBeUndefined()

    // Block 1 rolled back and another sealed at its height: the kept bytes are of a block the chain no longer holds.
    await a.producer.rollbackTip()
    await a.submitBatches([gw.next(2)])
    await a.producer.produce()
    const now = await recent.get(1)
    expect(now).toEqual(await loadWireBlock(a.db, 1))
    expect(decodeWireBlock(now!).header.hash).toEqual(a.index.hashAt(1))
    expect(now).not.toEqual(first)
  })
})
