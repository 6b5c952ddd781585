import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import { encodeContractDeploy } from '../../core/contract-payloads.ts'
import { SteleError } from '../../core/errors.ts'
import { minFee } from '../../core/genesis-ledger.ts'
import { signTx, TX_TYPES } from '../../core/transaction.ts'
import type { SteleNode } from '../../node/node.ts'

const EXAMPLE = fileURLToPath(new URL('../../contracts/examples/threshold-alert.js', import.meta.url))

/**
 * The threshold example tuned to the simulated fleet (device-sim: `temp` between about 15 and 27 °C): above 15 °C
 * with no minimum duration, so it fires on the first simulated temperature reading of each device.
 */
export async function sampleContractCode(): Promise<string> {
  const code = await readFile(EXAMPLE, 'utf8')
  const swaps: [string, string][] = [
    ['const HIGH = -15', 'const HIGH = 15'],
    ['const CLEAR = -17', 'const CLEAR = 5'],
    ['const MIN_DURATION_MS = 10 * 60 * 1000', 'const MIN_DURATION_MS = 0'],
    ["const SENSOR = 'temperature'", "const SENSOR = 'temp'"],
  ]
  let out = code
  for (const [a, b] of swaps) {
    if (!out.includes(a))
      throw new SteleError('STELE_INTERNAL', `threshold example changed: "${a}" not found`)
    out = out.replace(a, b)
  }
  return out
}

/**
 * First run of `stele start`: stores the sample contract's code and deploys it, signed by the node's key, so the
 * first blocks show a contract firing. Later runs find it deployed and do nothing. Logs every contract event.
 */
export async function deploySampleContract(node: SteleNode, logger: Logger): Promise<string | undefined> {
  const contracts = node.contracts
  if (!contracts || !node.ledger) return undefined
  contracts.on('event', (e) =>
    logger.info(
      { contract: e.contract.slice(0, 12), height: e.height, data: e.data },
      `contract event: ${e.name}`,
    ),
  )
  contracts.on('mismatch', (e) =>
    logger.warn({ contract: e.contract, height: e.height }, 'contract result mismatch'),
  )
  await contracts.idle()
  if (contracts.list().length > 0) return undefined
  const code = new TextEncoder().encode(await sampleContractCode())
  const { cid } = await node.storage.add(
    (async function* () {
      yield code
    })(),
  )
  const key = node.identity.key
  const nonce = (await node.ledger.account(key.publicKey, { pending: true })).nonce
  const tx = signTx(
    {
      type: TX_TYPES.CONTRACT_DEPLOY,
      chainId: node.genesis.chainId,
      signer: key.publicKey,
      nonce,
      payload: encodeContractDeploy({
        fee: minFee(node.genesis.ledger, TX_TYPES.CONTRACT_DEPLOY),
        name: 'threshold-alert (sample)',
        codeCid: cid,
        gasLimit: 2_000_000,
        filter: { devices: [], sensors: ['temp'], gateways: [] },
      }),
    },
    key.secretKey,
  )
  const { hash } = await node.submitTx(tx.bytes)
  logger.info(
    { contract: hash, code: cid },
    'deployed the sample threshold-alert contract (temp above 15 °C)',
  )
  return hash
}
