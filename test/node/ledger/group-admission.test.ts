import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KeyPair, keyPairFromSeed } from '../../../core/ed25519.ts'
import { sha256 } from '../../../core/hash.ts'
import { encodeTransfer } from '../../../core/ledger-payloads.ts'
import { silentLogger } from '../../../core/logger.ts'
import { type SignedTx, signTx, TX_TYPES } from '../../../core/transaction.ts'
import { K, prefixEnd } from '../../../node/db/keys.ts'
import { SteleNode } from '../../../node/node.ts'
import { tempDir } from '../../helpers/tmp.ts'

// Admissions arriving together share one mempool write (node/ledger/ledger.ts writePending): nonces stay in order,
// a replay in the same group is refused, and the producer and account reads see every admitted transaction.
const key = (name: string): KeyPair => keyPairFromSeed(sha256(Buffer.from(`stele-group-admission:${name}`)))
const [alice, bob] = [key('alice'), key('bob')]

let dir: Awaited<ReturnType<typeof tempDir>>
let node: SteleNode
beforeAll(async () => {
  dir = await tempDir('group-admission-')
  node = await SteleNode.open({ dataDir: dir.path, logger: silentLogger, blockIntervalMs: 60_000 })
  await node.ledger!.grant(alice.publicKey)
  await node.producer.produce()
})
afterAll(async () => {
  await node.close()
  await dir.cleanup()
})

const transfer = (nonce: number): SignedTx =>
  signTx(
    {
      type: TX_TYPES.TRANSFER,
      chainId: node.genesis.chainId,
      signer: alice.publicKey,
      nonce,
      payload: encodeTransfer({ fee: 1_000n, to: bob.publicKey, amount: 1n, memo: '' }),
    },
    alice.secretKey,
  )

describe('admissions written in groups', () => {
  it('accepts nonces sent at once in order, refuses a replay among them, and every one reaches the block', async () => {
    const txs = Array.from({ length: 20 }, (_, n) => transfer(n))
    const ledger = node.ledger!
    const submitted = Promise.allSettled([
      ...txs.map((t) => ledger.submit(t)),
      ledger.submit(txs[3]!), // the same transfer again, while the first is still being written
    ])
    // Queued behind the admissions: runs once every accepted one is written and in the mempool.
    expect(await ledger.exclusive(async () => node.mempool.size)).toBe(20)
    const results = await submitted
    expect(results.slice(0, 20).every((r) => r.status === 'fulfilled')).toBe(true)
    expect(results[20]).toMatchObject({ status: 'rejected', reason: { code: 'STELE_NONCE_TOO_LOW' } })
    // An exclusive read sees the pending nonce of every admitted transfer.
    expect((await node.ledger!.account(alice.publicKey, { pending: true })).nonce).toBe(20)
    const durable = await node.db.iterator({ gt: K.pendingPrefix, lt: prefixEnd(K.pendingPrefix) }).all()
    expect(durable).toHaveLength(20)
    expect(node.mempool.take(100).map((p) => p.tx.nonce)).toEqual(txs.map((t) => t.nonce))
    const block = await node.producer.produce()
    expect(block?.txHashes).toHaveLength(20)
    expect(node.mempool.size).toBe(0)
    expect((await node.ledger!.account(alice.publicKey)).nonce).toBe(20)
  })
})
