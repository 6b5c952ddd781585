import { afterEach, describe, expect, it } from 'vitest'
import { ROLES } from '../../../core/account.ts'
import { fromHex, toHex } from '../../../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../../../core/ed25519.ts'
import { sha256 } from '../../../core/hash.ts'
import { encodeNodeRegistration } from '../../../core/ledger-payloads.ts'
import { signTx, TX_TYPES } from '../../../core/transaction.ts'
import { decodeWireBlock, loadWireBlock } from '../../../node/chain/wire-block.ts'
import { deriveSeed } from '../../../node/executor/seed.ts'
import type { ContractServiceInit } from '../../../node/executor/service.ts'
import type { SteleNode } from '../../../node/node.ts'
import { BatchMaker } from '../../helpers/batches.ts'
import { carry, inProcessNetwork, ledgerGenesis } from '../../helpers/in-process-network.ts'
import { COUNTER, counterDeploy } from './chain-fixture.ts'

// A produces (the authority); B and C only apply A's blocks. The authority registers B as the one executor.
const keyA = keyPairFromSeed(new Uint8Array(32).fill(31))
const keyB = keyPairFromSeed(new Uint8Array(32).fill(32))
const keyC = keyPairFromSeed(new Uint8Array(32).fill(33))
const genesis = ledgerGenesis({ chainId: 'contracts-executors-test', producers: [keyA] })

const nodes = inProcessNetwork(genesis)
afterEach(() => nodes.closeAll())
const open = (key: KeyPair, contracts: ContractServiceInit = {}) => nodes.open(key, { contracts })

/** What gossip does with a transaction: the peer's own admission (node.submitTx), which re-executes a result. */
async function resultsFrom(from: SteleNode): Promise<Uint8Array[]> {
  return from.mempool
    .take(1_000)
    .filter((p) => p.tx.type === TX_TYPES.CONTRACT_RESULT)
    .map((p) => p.tx.bytes)
}

async function network(executorInit: ContractServiceInit = {}) {
  const a = await open(keyA)
  const b = await open(keyB, executorInit)
  const c = await open(keyC)
  const nodes = [a, b, c]
  const gw = new BatchMaker(genesis.chainId)
  let h = 0
  const step = async () => {
    await a.producer.produce()
    h++
    for (const n of [b, c]) await carry(a, n, h)
    for (const n of nodes) await n.contracts!.idle()
  }
  for (const n of nodes)
    await n.storage.add(
      (async function* () {
        yield new TextEncoder().encode(COUNTER)
      })(),
    )
  const cid = (
    await a.storage.add(
      (async function* () {
        yield new TextEncoder().encode(COUNTER)
      })(),
    )
  ).cid
  await a.registerGateway(toHex(gw.key.publicKey), 'gw')
  let nonce = (await a.ledger!.account(keyA.publicKey, { pending: true })).nonce
  const register = signTx(
    {
      type: TX_TYPES.NODE_REGISTER,
      chainId: genesis.chainId,
      signer: keyA.publicKey,
      nonce: nonce++,
      payload: encodeNodeRegistration({
        fee: 0n,
        node: keyB.publicKey,
        roles: ROLES.EXECUTOR,
        endpoints: ['/ip4/127.0.0.1/tcp/1'],
      }),
    },
    keyA.secretKey,
  )
  await a.submitTx(register.bytes)
  const deploy = signTx(
    {
      type: TX_TYPES.CONTRACT_DEPLOY,
      chainId: genesis.chainId,
      signer: keyA.publicKey,
      nonce,
      payload: counterDeploy({ codeCid: cid }),
    },
    keyA.secretKey,
  )
  await a.submitTx(deploy.bytes)
  await step() // gateway, B's executor registration and the deploy in block 1
  await a.submitBatches([gw.next(3)])
  await step() // readings in block 2: only B is selected and runs the contract
  return { a, b, c, id: toHex(deploy.hash), step }
}

describe('contract execution across nodes', () => {
  it('runs on the registered executor; the producer and a third node re-execute and accept its result', async () => {
    const { a, b, c, id, step } = await network()
    const me = (n: SteleNode) => toHex(n === a ? keyA.publicKey : n === b ? keyB.publicKey : keyC.publicKey)
    expect((await a.contracts!.results(id, 10)).items).toHaveLength(0)
    // Every node selects B: the registration is in the index of each, not only of the authority.
    for (const n of [a, b, c]) {
      const { hash } = decodeWireBlock((await loadWireBlock(n.db, 2))!).header
      expect(n.contracts!.selected(hash, fromHex(id, 'id', 32))).toBe(me(b))
    }
    const sent = await resultsFrom(b)
    expect(sent).toHaveLength(1)
    expect(await resultsFrom(a)).toHaveLength(0) // A is not selected: it ran nothing
    for (const bytes of sent) expect((await a.submitTx(bytes)).status).toBe('accepted')
    await step() // A seals B's result; C applies the block and re-executes the result it never admitted
    for (const n of [a, b, c]) {
      const items = (await n.contracts!.results(id, 10)).items
      expect(items.map((r) => r.executor)).toEqual([me(b)])
      expect(n.contracts!.mismatches).toBe(0)
      expect((await n.contracts!.entry(id))!.results).toBe(1)
    }
  }, 60_000)

  it('refuses a mismatching result from the selected executor and keeps the evidence', async () => {
    // The fault hook: B runs with another seed. B's own admission catches it; the signed result it made is what a
    // faulty executor that skipped the check would gossip, so it is handed to A as gossip would.
    const { a, b, id } = await network({ executeSeed: (h, cid) => deriveSeed(sha256(h), cid) })
    expect(await resultsFrom(b)).toHaveLength(0)
    const [own] = await b.contracts!.evidence(id)
    expect(own).toBeDefined()
    const seen: unknown[] = []
    a.contracts!.on('mismatch', (e) => seen.push(e))
    await expect(a.submitTx(fromHex(own!.tx, 'tx'))).rejects.toMatchObject({
      code: 'STELE_CONTRACT_MISMATCH',
    })
    expect(seen).toHaveLength(1)
    const [ev] = await a.contracts!.evidence(id)
    expect(ev).toMatchObject({ contract: id, height: 2, executor: toHex(keyB.publicKey), tx: own!.tx })
    expect(ev!.claimed.stateRootAfter).not.toBe(ev!.recomputed.stateRootAfter)
    expect(a.contracts!.mismatches).toBe(1)
    expect((await a.contracts!.results(id, 10)).items).toHaveLength(0)
  }, 60_000)
})
