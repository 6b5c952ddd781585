import { toHex } from '../../../core/bytes.ts'
import {
  type ContractDeploy,
  encodeContractCall,
  encodeContractDeploy,
} from '../../../core/contract-payloads.ts'
import { type KeyPair, keyPairFromSeed } from '../../../core/ed25519.ts'
import { sha256 } from '../../../core/hash.ts'
import { silentLogger } from '../../../core/logger.ts'
import { signTx, TX_TYPES } from '../../../core/transaction.ts'
import type { ContractServiceInit } from '../../../node/executor/service.ts'
import { SteleNode } from '../../../node/node.ts'
import { BatchMaker } from '../../helpers/batches.ts'
import { tempDir } from '../../helpers/tmp.ts'

export const COUNTER = `
export function onReading(r, ctx) {
  const n = (ctx.state.get('n') ?? 0) + 1
  ctx.state.set('n', n)
  ctx.state.set('luck', Math.floor(ctx.random() * 1e9))
  if (r.value > 20.15) ctx.emit('hot', { device: r.device, value: r.value })
  return n
}
export function bump(args, ctx) {
  ctx.state.set('n', (ctx.state.get('n') ?? 0) + args.by)
  ctx.emit('bumped', { by: args.by })
  return ctx.state.get('n')
}
`

/** A deploy payload of the counter (no fee, every reading, 1M gas) with `p` laid over it. */
export function counterDeploy(p: Partial<ContractDeploy> & { codeCid: string }): Uint8Array {
  return encodeContractDeploy({
    fee: 0n,
    name: 'counter',
    gasLimit: 1_000_000,
    filter: { devices: [], sensors: [], gateways: [] },
    ...p,
  })
}

export const user: KeyPair = keyPairFromSeed(sha256(Buffer.from('stele-contract-test-user')))

/** A real node (LevelDB in a temp folder, producer driven by the test) with a registered gateway. */
export async function contractNode(contracts: ContractServiceInit = {}) {
  const dir = await tempDir('stele-contracts-')
  const node = await SteleNode.open({
    dataDir: dir.path,
    logger: silentLogger,
    blockIntervalMs: 3_600_000,
    contracts,
  })
  node.start()
  const gw = new BatchMaker(node.genesis.chainId)
  await node.registerGateway(toHex(gw.key.publicKey), 'test gateway')
  let nonce = 0
  const sign = (type: number, payload: Uint8Array) =>
    signTx(
      { type, chainId: node.genesis.chainId, signer: user.publicKey, nonce: nonce++, payload },
      user.secretKey,
    )
  /** Produces a block and waits until the executor has processed every block so far. */
  const block = async () => {
    await node.producer.produce()
    await node.contracts!.idle()
  }
  return {
    node,
    gw,
    async store(code: string): Promise<string> {
      const r = await node.storage.add(
        (async function* () {
          yield new TextEncoder().encode(code)
        })(),
      )
      return r.cid
    },
    async deploy(p: Partial<ContractDeploy> & { codeCid: string }): Promise<string> {
      const tx = sign(TX_TYPES.CONTRACT_DEPLOY, counterDeploy(p))
      await node.submitTx(tx.bytes)
      return toHex(tx.hash)
    },
    async call(contract: string, fn: string, args: string, gas = 100_000): Promise<string> {
      const tx = sign(
        TX_TYPES.CONTRACT_CALL,
        encodeContractCall({ fee: 0n, contract: Buffer.from(contract, 'hex'), fn, args, gas }),
      )
      await node.submitTx(tx.bytes)
      return toHex(tx.hash)
    },
    block,
    async close() {
      await node.close().catch(() => undefined)
      await dir.cleanup()
    },
  }
}
