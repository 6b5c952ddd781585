/**
 * A producer added by node-register, on real nodes: it seals nothing before its registration's block, seals in its
 * turn after it, the genesis producer applies its block through the full checks, the chain check from genesis
 * accepts it, and the chain index loaded from disk names the same set and weights.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { keyPairFromSeed } from '../../../core/ed25519.ts'
import { encodeTransfer } from '../../../core/ledger-payloads.ts'
import { signTx, TX_TYPES } from '../../../core/transaction.ts'
import { ChainIndex } from '../../../node/chain/chain-index.ts'
import {
  carry,
  inProcessNetwork,
  ledgerGenesis,
  producerRegistration,
} from '../../helpers/in-process-network.ts'

const keyA = keyPairFromSeed(new Uint8Array(32).fill(51))
const keyC = keyPairFromSeed(new Uint8Array(32).fill(53))
const funded = keyPairFromSeed(new Uint8Array(32).fill(54))
const genesis = ledgerGenesis({ chainId: 'registered-producer', producers: [keyA], funded: [funded] })
const nodes = inProcessNetwork(genesis)
afterEach(() => nodes.closeAll())

/** The authority's registration of C as a producer. */
const register = producerRegistration(genesis, keyA, keyC).bytes

/** A transfer from a funded account: something pending to seal. */
const transfer = signTx(
  {
    type: TX_TYPES.TRANSFER,
    chainId: genesis.chainId,
    signer: funded.publicKey,
    nonce: 0,
    payload: encodeTransfer({ fee: 0n, to: keyC.publicKey, amount: 7n, memo: '' }),
  },
  funded.secretKey,
).bytes

describe('a producer registered by node-register', () => {
  it('produces only from the block after its registration; the genesis producer accepts its block', async () => {
    const a = await nodes.open(keyA, { start: false })
    const c = await nodes.open(keyC, { start: false })

    // Not a producer yet: C holds a pending transaction and seals nothing.
    await c.submitTx(transfer, { gossip: false })
    expect(await c.producer.produce()).toBeNull()
    expect(c.mempool.size).toBe(1)

    await a.submitTx(register, { gossip: false })
    expect(await a.producer.produce()).not.toBeNull()
    await carry(a, c, 1)
    const set = [toHex(keyA.publicKey), toHex(keyC.publicKey)].sort()
    for (const n of [a, c]) expect(n.index.producers).toEqual(set)

    // Two producers now: A signed block 1, so only C may sign block 2 (recents).
    await a.submitTx(transfer, { gossip: false })
    expect(await a.producer.produce()).toBeNull()
    const made = await c.producer.produce()
    expect(toHex(made!.header.producer)).toBe(toHex(keyC.publicKey))
    await carry(c, a, 2)
    expect(a.state.tip).toEqual(c.state.tip)

    // From genesis, as at a restart: the chain check accepts C's block, the index loads the same set and weights.
    expect((await a.verify()).height).toBe(2)
    const loaded = new ChainIndex(a.genesis)
    await loaded.load(a.db)
    expect(loaded.producers).toEqual(set)
    expect(loaded.totalWeight()).toBe(a.index.totalWeight())
  }, 30_000)
})
