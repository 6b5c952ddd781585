/**
 * The chain's protocols are for chain nodes only: a libp2p host whose key is no chain node cannot sync blocks and its
 * gossip is rejected, while it can still build a presence circuit through the node. Once the authority registers the
 * same key (a replicator, not a producer), the same host syncs and gossips: the refusal came from the policy.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ROLES } from '../../../core/account.ts'
import { keyPairFromSeed } from '../../../core/ed25519.ts'
import { encodeNodeRegistration, encodeTransfer } from '../../../core/ledger-payloads.ts'
import { ClientCircuits } from '../../../core/presence/circuit.ts'
import { realTimers } from '../../../core/timers.ts'
import { signTx, TX_TYPES } from '../../../core/transaction.ts'
import type { SteleNode } from '../../../node/node.ts'
import { BlockSyncService } from '../../../node/p2p/block-sync.ts'
import { Libp2pCellTransport } from '../../../node/p2p/cell-transport.ts'
import { encodeTxGossip } from '../../../node/p2p/gossip-codec.ts'
import { createP2pHost, type P2pHost } from '../../../node/p2p/host.ts'
import { chainProtocols } from '../../../node/p2p/protocols.ts'
import { nodeFixture } from '../../helpers/node.ts'
import { until } from '../../helpers/wait.ts'
import { seededRandom } from '../presence/net.ts'

const outsiderKey = keyPairFromSeed(new Uint8Array(32).fill(0x71))

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

/** A transfer from the genesis faucet: a valid transaction any node would admit. */
function transfer(node: SteleNode, nonce: number, amount: bigint): Uint8Array {
  const faucet = node.identity.faucetKey!
  return signTx(
    {
      type: TX_TYPES.TRANSFER,
      chainId: node.genesis.chainId,
      signer: faucet.publicKey,
      nonce,
      payload: encodeTransfer({ fee: 1_000n, to: outsiderKey.publicKey, amount, memo: '' }),
    },
    faucet.secretKey,
  ).bytes
}

describe('chain protocols are for chain nodes', () => {
  it('refuses block sync and gossip from a key that is no chain node, until the authority registers it', async () => {
    const fx = await nodeFixture()
    cleanup.push(() => fx.close())
    const { node } = fx
    const net = await node.startNetwork({})
    expect(await node.producer.produce()).not.toBeNull()

    const outsider: P2pHost = await createP2pHost({
      key: outsiderKey.secretKey,
      chainId: node.genesis.chainId,
      listen: ['/ip4/127.0.0.1/tcp/0'],
    })
    cleanup.push(async () => outsider.stop())
    await outsider.dial(net.host.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) })
    const sync = new BlockSyncService({ chainId: node.genesis.chainId }, outsider)
    const { txTopic } = chainProtocols(node.genesis.chainId)
    const nodePeer = net.host.peerId
    await until(() => outsider.services.pubsub.getSubscribers(txTopic).some((p) => p.equals(nodePeer)), {
      what: 'the node subscribed to the transaction topic, as the outsider sees it',
    })

    // Block sync: the stream is refused before the server reads the request.
    await expect(sync.fetchBlocks(nodePeer, { from: 1, count: 1 })).rejects.toThrow()
    expect(net.chainPeers.refused.streams).toBe(1)

    // Gossip: a valid transfer published by the outsider is rejected; the node's mempool never sees it.
    const first = transfer(node, 0, 5n)
    await outsider.services.pubsub.publish(txTopic, encodeTxGossip({ kind: 'transaction', bytes: first }))
    await until(() => net.chainPeers.refused.gossip >= 1, { what: 'the outsider’s gossip refused' })
    expect(node.mempool.size).toBe(0)

    // A presence circuit through the node still works for the outsider (the cells protocol is not gated).
    const cells = new Libp2pCellTransport({ chainId: node.genesis.chainId }, outsider)
    await cells.start()
    const circuits = new ClientCircuits(cells, { timers: realTimers, random: seededRandom('outsider') })
    const circuit = await circuits.build([{ id: node.identity.key.publicKey, peer: nodePeer.toString() }])
    expect(circuit.isOpen).toBe(true)
    circuit.destroy(0)
    await cells.stop()

    // The authority registers the outsider's key as a replicator: now it is a chain node.
    const register = signTx(
      {
        type: TX_TYPES.NODE_REGISTER,
        chainId: node.genesis.chainId,
        signer: node.identity.key.publicKey,
        nonce: 0,
        payload: encodeNodeRegistration({
          fee: 0n,
          node: outsiderKey.publicKey,
          roles: ROLES.REPLICATOR,
          endpoints: [],
        }),
      },
      node.identity.key.secretKey,
    )
    await node.submitTx(register.bytes, { gossip: false })
    expect(await node.producer.produce()).not.toBeNull()
    const blocks = await sync.fetchBlocks(nodePeer, { from: 1, count: 2 })
    expect(blocks).toHaveLength(2)
    const second = transfer(node, 0, 6n)
    await outsider.services.pubsub.publish(txTopic, encodeTxGossip({ kind: 'transaction', bytes: second }))
    await until(() => node.mempool.size === 1, { what: 'the registered node’s gossip admitted' })
    expect(net.chainPeers.refused).toEqual({ streams: 1, gossip: 1 })
  }, 60_000)
})
