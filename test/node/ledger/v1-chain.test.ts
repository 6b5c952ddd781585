import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { keyPairFromSeed } from '../../../core/ed25519.ts'
import { genesisToJson } from '../../../core/genesis.ts'
import { sha256 } from '../../../core/hash.ts'
import { writeKeyFile } from '../../../core/key-file.ts'
import { encodeTransfer } from '../../../core/ledger-payloads.ts'
import { silentLogger } from '../../../core/logger.ts'
import { signTx, TX_TYPES } from '../../../core/transaction.ts'
import { buildApp } from '../../../node/api/app.ts'
import { SteleNode } from '../../../node/node.ts'
import { tempDir } from '../../helpers/tmp.ts'

const k = keyPairFromSeed(sha256(Buffer.from('stele-v1-chain')))
let dir: Awaited<ReturnType<typeof tempDir>>
let node: SteleNode

beforeAll(async () => {
  dir = await tempDir('stele-v1-')
  // A data folder from before the ledger: the node key, a version 1 genesis, no faucet key.
  await writeKeyFile(join(dir.path, 'node.key'), k)
  await writeFile(
    join(dir.path, 'genesis.json'),
    JSON.stringify(
      genesisToJson({ chainId: 'old-chain', time: 1, producers: [k.publicKey], authority: k.publicKey }),
    ),
  )
  node = await SteleNode.open({ dataDir: dir.path, logger: silentLogger })
})
afterAll(async () => {
  await node.close()
  await dir.cleanup()
})

describe('a version 1 chain', () => {
  it('has no ledger: accounts and the faucet answer 503, ledger transactions are refused, blocks stay version 1', async () => {
    expect(node.ledger).toBeUndefined()
    const app = await buildApp({ node, logger: false })
    const faucet = await app.inject({
      method: 'POST',
      url: '/v1/faucet',
      payload: { address: toHex(k.publicKey) },
    })
    expect(faucet.statusCode).toBe(503)
    expect(faucet.json().error.code).toBe('STELE_UNAVAILABLE')
    const account = await app.inject({ url: `/v1/accounts/${toHex(k.publicKey)}` })
    expect(account.statusCode).toBe(503)
    const t = signTx(
      {
        type: TX_TYPES.TRANSFER,
        chainId: 'old-chain',
        signer: k.publicKey,
        nonce: 0,
        payload: encodeTransfer({ fee: 0n, to: k.publicKey, amount: 1n, memo: '' }),
      },
      k.secretKey,
    )
    const sent = await app.inject({
      method: 'POST',
      url: '/v1/transactions',
      payload: { tx: Buffer.from(t.bytes).toString('base64') },
    })
    expect(sent.json().error.code).toBe('STELE_UNAVAILABLE')
    await node.registerGateway(toHex(sha256(Buffer.from('gw'))), 'gw')
    const block = await node.producer.produce()
    expect(block?.header.stateRoot).toBeUndefined()
    expect((await node.verify()).stateRoot).toBeUndefined()
    await app.close()
  })
})
