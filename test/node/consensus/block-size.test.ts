/**
 * Blocks are capped by wire bytes as well as by count: no block is larger than one block-sync frame (so any block
 * can be synced), and a networked producer's blocks fit one gossip message. What does not fit waits for the next
 * block, in order; a transaction no block could hold leaves the mempool instead of stalling the chain.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { decodeTx } from '../../../core/transaction.ts'
import { BLOCK_OVERHEAD, MAX_BLOCK_BYTES, wireTxBytes } from '../../../node/chain/block-size.ts'
import { loadWireBlock } from '../../../node/chain/wire-block.ts'
import { MAX_SYNC_FRAME } from '../../../node/p2p/block-sync-codec.ts'
import { MAX_GOSSIP_BYTES } from '../../../node/p2p/gossip-codec.ts'
import { nodeFixture } from '../../helpers/node.ts'

let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

describe('block size', () => {
  it('every block fits one sync frame, whatever the producer is told', () => {
    expect(MAX_BLOCK_BYTES).toBe(MAX_SYNC_FRAME)
    expect(MAX_GOSSIP_BYTES).toBeLessThan(MAX_BLOCK_BYTES)
  })

  it('seals what fits the byte cap, in order, the rest in the next blocks', async () => {
    const fx = await nodeFixture()
    close = () => fx.close()
    const { node, gw } = fx
    const batches = Array.from({ length: 6 }, () => gw.next(100))
    const sizes = batches.map((b) => wireTxBytes(b.tx, b.records.length))
    // Room for exactly two batches a block (the gateway registration is in block 1 with the first two).
    const cap = BLOCK_OVERHEAD + sizes[0]! + sizes[1]! + 200
    node.producer.limitBlockBytes(cap)
    node.producer.limitBlockBytes(10 * cap) // raising is ignored: the cap only goes down
    for (const r of await node.submitBatches(batches)) expect(r.status).toBe('accepted')

    const blocks: number[][] = []
    while (node.mempool.size > 0) {
      const made = await node.producer.produce()
      expect(made).not.toBeNull()
      const wire = (await loadWireBlock(node.db, made!.header.height))!
      expect(wire.length).toBeLessThanOrEqual(cap)
      blocks.push(made!.txs.map((t) => t.type))
    }
    // Six batches, two a block (block 1 also carries the registration, which is small), never reordered.
    expect(blocks.flat().filter((t) => t === decodeTx(batches[0]!.tx).type)).toHaveLength(6)
    expect(blocks.length).toBe(3)
  })

  it('drops a transaction larger than any block instead of stalling behind it', async () => {
    const fx = await nodeFixture()
    close = () => fx.close()
    const { node, gw } = fx
    const big = gw.next(400)
    node.producer.limitBlockBytes(BLOCK_OVERHEAD + wireTxBytes(big.tx, big.records.length) - 1)
    // A gateway's submission is refused over the cap (test/node/chain/batch-too-large.test.ts); ingest without it
    // (a peer's block's batches, or one admitted before the cap fell) can still hold one the producer must drop.
    expect((await node.ingest.submitBatches([big]))[0]!.status).toBe('accepted')
    // The registration fits and is sealed; the batch can never be and leaves the mempool.
    const made = await node.producer.produce()
    expect(made!.txs).toHaveLength(1)
    expect(node.mempool.size).toBe(0)
  })
})
