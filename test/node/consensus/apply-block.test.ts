import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { signBlockHeader } from '../../../core/block.ts'
import { toHex } from '../../../core/bytes.ts'
import { keyPairFromSeed } from '../../../core/ed25519.ts'
import { type Genesis, genesisToJson } from '../../../core/genesis.ts'
import { writeKeyFile } from '../../../core/key-file.ts'
import { silentLogger } from '../../../core/logger.ts'
import { BlockRefused } from '../../../node/chain/producer.ts'
import { decodeWireBlock, loadWireBlock, type WireBlock } from '../../../node/chain/wire-block.ts'
import { SteleNode } from '../../../node/node.ts'
import { BatchMaker } from '../../helpers/batches.ts'
import { tempDir } from '../../helpers/tmp.ts'

const keyA = keyPairFromSeed(new Uint8Array(32).fill(11))
const keyB = keyPairFromSeed(new Uint8Array(32).fill(12))
const outsider = keyPairFromSeed(new Uint8Array(32).fill(13))

const genesis: Genesis = {
  chainId: 'apply-test',
  time: 1_700_000_000_000,
  producers: [keyA.publicKey, keyB.publicKey],
  authority: keyA.publicKey,
  ledger: {
    symbol: 'STL',
    decimals: 6,
    faucet: keyA.publicKey,
    faucetGrant: 100n,
    allocations: [{ account: keyA.publicKey, amount: 1_000_000n }],
    minFees: [],
  },
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function open(key: typeof keyA): Promise<SteleNode> {
  const dir = await tempDir('stele-apply-')
  await writeKeyFile(join(dir.path, 'node.key'), key)
  const file = join(dir.path, 'genesis.json')
  await writeFile(file, JSON.stringify(genesisToJson(genesis)))
  const node = await SteleNode.open({
    dataDir: dir.path,
    logger: silentLogger,
    blockIntervalMs: 60_000,
    genesisFile: file,
  })
  cleanups.push(async () => {
    await node.close()
    await dir.cleanup()
  })
  return node
}

/** B takes A's block through the path a peer's block takes: admission of its batches, then applyBlock. */
async function carry(from: SteleNode, to: SteleNode, height: number): Promise<WireBlock> {
  const block = decodeWireBlock((await loadWireBlock(from.db, height))!)
  for (const { tx, records } of block.txs) {
    if (to.mempool.has(toHex(tx.hash))) continue
    if (records.length > 0) await to.ingest.submitBatches([{ tx: tx.bytes, records }])
    else await to.ingest.submitTx(tx.bytes)
  }
  await to.producer.applyBlock(block)
  return block
}

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
