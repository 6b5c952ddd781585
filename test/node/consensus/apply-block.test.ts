import { afterEach, describe, expect, it } from 'vitest'
import { signBlockHeader } from '../../../core/block.ts'
import { toHex } from '../../../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../../../core/ed25519.ts'
import { BlockRefused } from '../../../node/chain/producer.ts'
import { decodeWireBlock, loadWireBlock } from '../../../node/chain/wire-block.ts'
import { BatchMaker } from '../../helpers/batches.ts'
import { carry, inProcessNetwork, ledgerGenesis } from '../../helpers/in-process-network.ts'

const keyA = keyPairFromSeed(new Uint8Array(32).fill(11))
const keyB = keyPairFromSeed(new Uint8Array(32).fill(12))
const outsider = keyPairFromSeed(new Uint8Array(32).fill(13))

const genesis = ledgerGenesis({ chainId: 'apply-test', producers: [keyA, keyB] })

const nodes = inProcessNetwork(genesis)
afterEach(() => nodes.closeAll())
const open = (key: KeyPair) => nodes.open(key, { blockIntervalMs: 60_000, start: false })

describe('blocks from another producer', () => {
  it('apply with the same tip and state root; rollback restores the state and the mempool order', async () => {
    const a = await open(keyA)
    const b = await open(keyB)
    const gw = new BatchMaker(genesis.chainId)
    await a.registerGateway(toHex(gw.key.publicKey), 'gw')
    expect(await a.producer.produce()).not.toBeNull()
    await carry(a, b, 1)
    expect(b.state.tip).toEqual(a.state.tip)
    // A signed block 1: with two producers it may not sign block 2 (recents); B may.
    await b.submitBatches([gw.next(3), gw.next(2)])
    expect(await a.producer.produce()).toBeNull()
    const rootBefore = toHex(b.ledger!.map.root)
    const order = b.mempool.take(10).map((p) => p.hash)
    const produced = await b.producer.produce()
    expect(produced?.txHashes).toEqual(order)
    await carry(b, a, 2)
    expect(a.state.tip).toEqual(b.state.tip)
    expect(toHex(a.ledger!.map.root)).toBe(toHex(b.ledger!.map.root))

    await b.producer.rollbackTip()
    expect(b.state.tip.height).toBe(1)
    expect(toHex(b.ledger!.map.root)).toBe(rootBefore)
    expect(b.mempool.take(10).map((p) => p.hash)).toEqual(order)
    expect(b.index.height).toBe(1)
    // The same block applies again on the rolled-back tip.
    await carry(a, b, 2)
    expect(b.state.tip).toEqual(a.state.tip)
    expect((await b.verify()).height).toBe(2)
  })

  it('refuses a block of a key that is no producer, and one whose state root is not the one reached', async () => {
    const a = await open(keyA)
    const b = await open(keyB)
    const gw = new BatchMaker(genesis.chainId)
    await a.registerGateway(toHex(gw.key.publicKey), 'gw')
    await a.producer.produce()
    const block = decodeWireBlock((await loadWireBlock(a.db, 1))!)
    await b.ingest.submitTx(block.txs[0]!.tx.bytes)
    const { header: _h, signature: _s, hash: _x, ...fields } = block.header
    const forged = {
      ...block,
      header: signBlockHeader({ ...fields, producer: outsider.publicKey }, outsider.secretKey),
    }
    await expect(b.producer.applyBlock(forged)).rejects.toMatchObject({ reason: 'unknown-producer' })
    const badRoot = {
      ...block,
      header: signBlockHeader({ ...fields, stateRoot: new Uint8Array(32).fill(7) }, keyA.secretKey),
    }
    const err = await b.producer.applyBlock(badRoot).catch((e) => e)
    expect(err).toBeInstanceOf(BlockRefused)
    expect(err.reason).toBe('bad-state')
    expect(b.state.tip.height).toBe(0)
    await b.producer.applyBlock(block)
    expect(b.state.tip.height).toBe(1)
  })
})
