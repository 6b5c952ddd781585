import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { encodeContractDeploy } from '../../../core/contract-payloads.ts'
import { keyPairFromSeed } from '../../../core/ed25519.ts'
import { type Genesis, genesisToJson } from '../../../core/genesis.ts'
import { writeKeyFile } from '../../../core/key-file.ts'
import { silentLogger } from '../../../core/logger.ts'
import { signTx, TX_TYPES } from '../../../core/transaction.ts'
import { decodeWireBlock, loadWireBlock } from '../../../node/chain/wire-block.ts'
import { SteleNode } from '../../../node/node.ts'
import { BatchMaker } from '../../helpers/batches.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { COUNTER } from './chain-fixture.ts'

const keyA = keyPairFromSeed(new Uint8Array(32).fill(21))
const keyB = keyPairFromSeed(new Uint8Array(32).fill(22))
const genesis: Genesis = {
  chainId: 'contracts-peer-test',
  time: 1_700_000_000_000,
  producers: [keyA.publicKey],
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
  const dir = await tempDir('stele-contracts-peer-')
  await writeKeyFile(join(dir.path, 'node.key'), key)
  const file = join(dir.path, 'genesis.json')
  await writeFile(file, JSON.stringify(genesisToJson(genesis)))
  const node = await SteleNode.open({
    dataDir: dir.path,
    logger: silentLogger,
    blockIntervalMs: 3_600_000,
    genesisFile: file,
  })
  node.start()
  cleanups.push(async () => {
    await node.close()
    await dir.cleanup()
  })
  return node
}

/** B takes A's block the way a peer's block arrives: its transactions admitted, then producer.applyBlock. */
async function carry(from: SteleNode, to: SteleNode, height: number): Promise<void> {
  const block = decodeWireBlock((await loadWireBlock(from.db, height))!)
  for (const { tx, records } of block.txs) {
    if (to.mempool.has(toHex(tx.hash))) continue
    if (records.length > 0) await to.ingest.submitBatches([{ tx: tx.bytes, records }])
    else if (tx.type === TX_TYPES.GATEWAY_REGISTER) await to.ingest.submitTx(tx.bytes)
    // Ledger transactions through the node's admission, which re-executes a contract result.
    else await to.submitTx(tx.bytes)
  }
  await to.producer.applyBlock(block)
}

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
        payload: encodeContractDeploy({
          fee: 0n,
          name: 'counter',
          codeCid: cid,
          gasLimit: 1_000_000,
          filter: { devices: [], sensors: [], gateways: [] },
        }),
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
