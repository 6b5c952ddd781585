import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../../../core/ed25519.ts'
import { signTx, TX_TYPES } from '../../../core/transaction.ts'
import type { SteleNode } from '../../../node/node.ts'
import { BatchMaker } from '../../helpers/batches.ts'
import { carry, inProcessNetwork, ledgerGenesis } from '../../helpers/in-process-network.ts'
import { COUNTER, counterDeploy } from './chain-fixture.ts'

const keyA = keyPairFromSeed(new Uint8Array(32).fill(21))
const keyB = keyPairFromSeed(new Uint8Array(32).fill(22))
const genesis = ledgerGenesis({ chainId: 'contracts-peer-test', producers: [keyA] })

const nodes = inProcessNetwork(genesis)
afterEach(() => nodes.closeAll())
const open = (key: KeyPair) => nodes.open(key)

describe('contract results in blocks from a peer', () => {
  it('are indexed and re-executed by the node that applies the block', async () => {
    const a = await open(keyA)
    const b = await open(keyB)
    const code = async (n: SteleNode) =>
      (
        await n.storage.add(
          (async function* () {
            yield new TextEncoder().encode(COUNTER)
          })(),
        )
      ).cid
    const cid = await code(a)
    await code(b) // B holds the code too (as its storage would fetch it)
    const gw = new BatchMaker(genesis.chainId)
    await a.registerGateway(toHex(gw.key.publicKey), 'gw')
    const deploy = signTx(
      {
        type: TX_TYPES.CONTRACT_DEPLOY,
        chainId: genesis.chainId,
        signer: keyA.publicKey,
        nonce: (await a.ledger!.account(keyA.publicKey, { pending: true })).nonce,
        payload: counterDeploy({ codeCid: cid }),
      },
      keyA.secretKey,
    )
    await a.submitTx(deploy.bytes)
    const id = toHex(deploy.hash)
    const results: string[] = []
    b.contracts!.on('result', (r) => results.push(r.hash))
    let h = 0
    const step = async () => {
      await a.producer.produce()
      await a.contracts!.idle()
      await carry(a, b, ++h)
      await b.contracts!.idle()
    }
    await step() // gateway registration and deploy
    await a.submitBatches([gw.next(3)])
    await step() // readings: A runs the contract and submits its result
    await step() // the result sealed by A, applied by B
    const onA = (await a.contracts!.results(id, 10)).items
    expect(onA).toHaveLength(1)
    const onB = (await b.contracts!.results(id, 10)).items
    expect(onB.map((r) => r.hash)).toEqual(onA.map((r) => r.hash))
    expect(results).toEqual([onA[0]!.hash])
    expect(b.contracts!.mismatches).toBe(0)
    expect((await b.contracts!.entry(id))!.results).toBe(1)
  }, 30_000)
})
