/**
 * Proofs of a block sealed by a producer registered by node-register (docs/protocol.md §6.4): the reading proof,
 * the transaction proof and the account proof carry the registration path and verify offline (core, `stele verify`,
 * POST /v1/verify, the page's check); a removed or forged registration fails at a named check. And finality follows
 * the current producer set: none with the one genesis producer, `final` once a second one is registered.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { verifyCommand } from '../../../cli/commands/verify.ts'
import { ROLES } from '../../../core/account.ts'
import { verifyAccountProof } from '../../../core/account-proof.ts'
import { fromHex, toHex } from '../../../core/bytes.ts'
import { keyPairFromSeed } from '../../../core/ed25519.ts'
import { genesisToJson } from '../../../core/genesis.ts'
import { encodeNodeRegistration } from '../../../core/ledger-payloads.ts'
import type { RegistrationStep } from '../../../core/producer-proof.ts'
import type { ProofBundle } from '../../../core/proof.ts'
import { decodeTx, signTx, TX_TYPES } from '../../../core/transaction.ts'
import { verifyProof } from '../../../core/verify-proof.ts'
import { buildApp } from '../../../node/api/app.ts'
import { checkBlock, checkTxInclusion } from '../../../web/src/checks.ts'
import { BatchMaker } from '../../helpers/batches.ts'
import {
  carry,
  inProcessNetwork,
  ledgerGenesis,
  producerRegistration,
} from '../../helpers/in-process-network.ts'
import { tempDir } from '../../helpers/tmp.ts'

const keyA = keyPairFromSeed(new Uint8Array(32).fill(61))
const keyC = keyPairFromSeed(new Uint8Array(32).fill(63))
const genesis = ledgerGenesis({ chainId: 'registered-proof', producers: [keyA] })
const trusted = genesisToJson(genesis)
const nodes = inProcessNetwork(genesis)
afterEach(() => nodes.closeAll())

const register = producerRegistration(genesis, keyA, keyC)

/**
 * A (genesis, alone) seals a gateway's first readings in block 1 and registers C in block 2; C seals readings in
 * block 3.
 */
async function chainWithRegisteredBlock() {
  const a = await nodes.open(keyA, { start: false })
  const c = await nodes.open(keyC, { start: false })
  const gw = new BatchMaker(genesis.chainId)
  await a.registerGateway(toHex(gw.key.publicKey), 'gw')
  await a.submitBatches([gw.next(2, 'dev-0')])
  expect(await a.producer.produce()).not.toBeNull()
  // One producer: no finality; the readings read now are kept as confirmed.
  expect(a.finalHeight()).toBe(-1)
  expect(
    JSON.parse(await a.query.readingsJson({ device: 'dev-0', limit: 10, order: 'asc' })).items[0]?.status,
  ).toBe('confirmed')
  await a.submitTx(register.bytes, { gossip: false })
  expect(await a.producer.produce()).not.toBeNull()
  await carry(a, c, 1)
  await carry(a, c, 2)
  await c.submitBatches([gw.next(3)])
  const made = await c.producer.produce()
  expect(toHex(made!.header.producer)).toBe(toHex(keyC.publicKey))
  await carry(c, a, 3)
  const app = await buildApp({ node: a, logger: false })
  const get = async (url: string) => (await app.inject({ method: 'GET', url })).json()
  const list = await get('/v1/devices/dev-1/readings?limit=1')
  const proof = (await get(`/v1/readings/${list.items[0].id}/proof`)) as ProofBundle
  return { a, c, gw, app, get, proof }
}

describe('a proof of a block sealed by a registered producer', () => {
  it('carries the registration path and verifies offline, over HTTP and in the page', async () => {
    const { a, app, get, proof } = await chainWithRegisteredBlock()
    try {
      expect(proof.registrations).toHaveLength(1)
      const r = verifyProof(proof, trusted)
      expect(r.error).toBeUndefined()
      expect(r.block?.height).toBe(3)
      expect(r.checks.map((c) => c.name)).toContain('producer.registration')

      const posted = await app.inject({ method: 'POST', url: '/v1/verify', payload: proof })
      expect(posted.statusCode).toBe(200)

      const dir = await tempDir('stele-registered-proof-')
      try {
        await writeFile(join(dir.path, 'proof.json'), JSON.stringify(proof))
        await writeFile(join(dir.path, 'genesis.json'), JSON.stringify(trusted))
        const out: string[] = []
        const args = [join(dir.path, 'proof.json'), '--genesis', join(dir.path, 'genesis.json')]
        expect(await verifyCommand(args, (s) => out.push(s))).toBe(0)
        expect(out.join('\n')).toMatch(/ok +producer\.registration/)
      } finally {
        await dir.cleanup()
      }

      // The batch transaction's inclusion proof, checked as the transaction page does.
      const tx = await get(`/v1/transactions/${toHex(decodeTx(fromHex(proof.batchTx)).hash)}`)
      expect(tx.proof.registrations).toHaveLength(1)
      expect(checkTxInclusion(tx, trusted).every((c) => c.ok)).toBe(true)

      // The explorer's block check: block 3 comes with C's registration path; without it, block.producer fails.
      const b3 = await get('/v1/blocks/3')
      const b2 = await get('/v1/blocks/2')
      expect(b2.registrations).toBeUndefined()
      expect(checkBlock(b3, trusted, b2.hash).map((c) => c.ok)).toEqual(Array(6).fill(true))
      const { registrations: _r, ...bare } = b3
      expect(checkBlock(bare, trusted, b2.hash).at(-1)).toMatchObject({ name: 'block.producer', ok: false })

      // The account proof against the tip (block 3, signed by C).
      const account = await get(`/v1/accounts/${toHex(keyC.publicKey)}/proof`)
      expect(account.registrations).toHaveLength(1)
      expect(verifyAccountProof(account, trusted).error).toBeUndefined()
      expect(a.state.tip.height).toBe(3)
    } finally {
      await app.close()
    }
  }, 60_000)

  it('fails at a named check when the registration is removed or forged', async () => {
    const { app, proof } = await chainWithRegisteredBlock()
    await app.close()
    const { registrations, ...removed } = proof
    expect(verifyProof(removed as ProofBundle, trusted).error).toBe(
      'block.producer: the block producer is not named in genesis',
    )
    const step = registrations![0]!
    const forge = (s: Partial<RegistrationStep>) =>
      verifyProof({ ...proof, registrations: [{ ...step, ...s }] }, trusted).error
    // C registering itself: not the authority's signature.
    const selfSigned = signTx(
      {
        type: TX_TYPES.NODE_REGISTER,
        chainId: genesis.chainId,
        signer: keyC.publicKey,
        nonce: 0,
        payload: encodeNodeRegistration({
          fee: 0n,
          node: keyC.publicKey,
          roles: ROLES.PRODUCER,
          endpoints: [],
        }),
      },
      keyC.secretKey,
    )
    expect(forge({ tx: toHex(selfSigned.bytes) })).toBe(
      'producer.registration: registration 0: the transaction is not signed by the genesis authority',
    )
    // One flipped signature byte of the authority's transaction.
    const flipped = step.tx.slice(0, -2) + (step.tx.endsWith('00') ? '01' : '00')
    expect(forge({ tx: flipped })).toMatch(/^producer\.registration: registration 0: /)
    // The registration's block signature, or its header, changed.
    expect(forge({ blockSignature: '00'.repeat(64) })).toBe(
      'producer.registration: registration 0: the producer signature over block 2 does not verify',
    )
    expect(forge({ txPath: ['00'.repeat(32)] })).toMatch(/does not lead to the block transaction root$/)
    // The registration is in the block the proof's block is: C may sign only from the block after it.
    expect(verifyProof({ ...proof, registrations: [] }, trusted).error).toBe(
      'block.producer: the block producer is neither named in genesis nor registered by the bundle',
    )
  }, 60_000)

  it('finality follows the current producer set: final once a registered second producer builds on a block', async () => {
    const { a, c, gw, app } = await chainWithRegisteredBlock()
    await app.close()
    await a.submitBatches([gw.next(1)])
    // Blocks 3 (C) and 4 (A) are a majority of two producers built on block 2.
    expect(a.finalHeight()).toBe(1)
    expect(await a.producer.produce()).not.toBeNull()
    await carry(a, c, 4)
    expect(a.finalHeight()).toBe(2)
    expect(c.finalHeight()).toBe(2)
    // Block 1's readings, read as confirmed while A was alone, are final now.
    expect(
      JSON.parse(await a.query.readingsJson({ device: 'dev-0', limit: 10, order: 'asc' })).items[0]?.status,
    ).toBe('final')
    const app2 = await buildApp({ node: a, logger: false })
    try {
      const tx = (
        await app2.inject({ method: 'GET', url: `/v1/transactions/${toHex(register.hash)}` })
      ).json()
      expect(tx.status).toBe('final')
    } finally {
      await app2.close()
    }
  }, 60_000)
})
