import { describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { encodeContractCall, encodeContractDeploy } from '../../../core/contract-payloads.ts'
import { encodeDriveCreate } from '../../../core/drive-payloads.ts'
import { generateKeyPair } from '../../../core/ed25519.ts'
import { signTx, TX_TYPES } from '../../../core/transaction.ts'
import { txView } from '../../../node/chain/tx-view.ts'

const key = generateKeyPair()
const sign = (type: number, payload: Uint8Array) =>
  signTx({ type, chainId: 'view', signer: key.publicKey, nonce: 1, payload }, key.secretKey)

// The web shows what the node decodes (one view for both): drive and contract payloads arrive decoded, not hex.
describe('txView', () => {
  it('decodes a drive-create with its id and escrow', () => {
    const tx = sign(
      TX_TYPES.DRIVE_CREATE,
      encodeDriveCreate({ fee: 5n, capacity: 1024, replicas: 2, duration: 10, period: 5, price: 3n }),
    )
    expect(txView(tx.bytes, 4, 0).payload).toEqual({
      drive: toHex(tx.hash),
      fee: '5',
      capacity: 1024,
      replicas: 2,
      duration: 10,
      period: 5,
      price: '3',
      escrow: '60',
    })
  })

  it('decodes contract deploys and calls, arguments as JSON', () => {
    const deploy = sign(
      TX_TYPES.CONTRACT_DEPLOY,
      encodeContractDeploy({
        fee: 1n,
        name: 'avg',
        codeCid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
        gasLimit: 1000,
        filter: { devices: ['d1'], sensors: [], gateways: [] },
      }),
    )
    expect(txView(deploy.bytes, null, null).payload).toMatchObject({
      contract: toHex(deploy.hash),
      name: 'avg',
      gasLimit: 1000,
      filter: { devices: ['d1'], sensors: [], gateways: [] },
    })
    const call = sign(
      TX_TYPES.CONTRACT_CALL,
      encodeContractCall({ fee: 1n, contract: deploy.hash, fn: 'set', args: '{"x":1}', gas: 50 }),
    )
    const v = txView(call.bytes, null, null)
    expect(v.status).toBe('pending')
    expect(v.payload).toEqual({ fee: '1', contract: toHex(deploy.hash), fn: 'set', args: { x: 1 }, gas: 50 })
  })
})
