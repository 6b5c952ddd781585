import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../../../core/ed25519.ts'
import { sha256 } from '../../../core/hash.ts'
import { encodeTransfer } from '../../../core/ledger-payloads.ts'
import { signTx, TX_TYPES } from '../../../core/transaction.ts'
import { type Ev, sseClient, wsClient } from '../stream/clients.ts'
import { type StreamFixture, streamFixture } from '../stream/fixture.ts'

const key = (name: string): KeyPair => keyPairFromSeed(sha256(Buffer.from(`stele-stream-tx:${name}`)))
const [alice, bob, carol] = [key('alice'), key('bob'), key('carol')]

let fx: StreamFixture
beforeAll(async () => {
  fx = await streamFixture()
})
afterAll(async () => {
  await fx.close()
})

describe('the transactions channel', () => {
  it('delivers each confirmed ledger transaction to subscribers of its accounts, once, and nothing else', async () => {
    const { node } = fx
    const all = await wsClient(fx.base, '?channels=transactions')
    const ofBob = await sseClient(fx.base, `?channels=transactions&account=${toHex(bob.publicKey)}`)
    const ofCarol = await sseClient(fx.base, `?channels=transactions&account=${toHex(carol.publicKey)}`)
    await node.ledger!.grant(alice.publicKey)
    await node.producer.produce()
    const t = signTx(
      {
        type: TX_TYPES.TRANSFER,
        chainId: node.genesis.chainId,
        signer: alice.publicKey,
        nonce: 0,
        payload: encodeTransfer({ fee: 1_000n, to: bob.publicKey, amount: 7n, memo: '' }),
      },
      alice.secretKey,
    )
    await node.submitTx(t.bytes)
    // A gateway's batch in the same block is no ledger transaction: not on this channel.
    await node.submitBatches([fx.gw.next(3)])
    await node.producer.produce()
    const txs = (evs: Ev[]) => evs.filter((e) => e.type === 'transaction')
    await all.c.waitFor((e) => txs(e).length === 2, 'two transactions on the open channel')
    await ofBob.c.waitFor((e) => txs(e).length === 1, "bob's transfer")
    const mine = txs(ofBob.c.events)[0]!.transaction as {
      hash: string
      status: string
      payload: { to: string }
    }
    expect(mine).toMatchObject({ hash: toHex(t.hash), status: 'confirmed' })
    expect(mine.payload.to).toBe(toHex(bob.publicKey))
    expect(txs(all.c.events).map((e) => (e.transaction as { type: string }).type)).toEqual([
      'faucet-grant',
      'transfer',
    ])
    expect(all.c.of('reading')).toHaveLength(0)
    expect(txs(ofCarol.c.events)).toHaveLength(0)
    all.ws.close()
    ofBob.close()
    ofCarol.close()
  })

  it('refuses an account that is not a 32-byte hex key', async () => {
    const r = await fetch(`${fx.base}/v1/stream/sse?channels=transactions&account=nothex`)
    expect(r.status).toBe(400)
    await r.body?.cancel()
  })
})
