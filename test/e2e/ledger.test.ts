import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningNode, runNode } from '../../cli/run-node.ts'
import { type AccountProofBundle, verifyAccountProof } from '../../core/account-proof.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../../core/ed25519.ts'
import { sha256 } from '../../core/hash.ts'
import { encodeTransfer } from '../../core/ledger-payloads.ts'
import { signTx, TX_TYPES } from '../../core/transaction.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'

const key = (name: string): KeyPair => keyPairFromSeed(sha256(Buffer.from(`stele-e2e-ledger:${name}`)))
const alice = key('alice')
const bob = key('bob')

let dir: Awaited<ReturnType<typeof tempDir>>
let running: RunningNode | undefined
let base = ''

async function start(): Promise<void> {
  running = await runNode({
    data: dir.path,
    host: '127.0.0.1',
    port: 0,
    blockIntervalMs: 50,
    logger: pino({ level: 'silent' }),
  })
  base = running.url
}

// biome-ignore lint/suspicious/noExplicitAny: the test reads loosely typed JSON
async function api(path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(
    base + path,
    body === undefined
      ? {}
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  )
  return { status: r.status, body: await r.json() }
}

const confirmed = (hash: string) =>
  until(
    async () => {
      const r = await api(`/v1/transactions/${hash}`)
      return r.body.status === 'confirmed' ? r.body : undefined
    },
    { what: `transaction ${hash} confirmed` },
  )

function transfer(from: KeyPair, to: KeyPair, amount: bigint, nonce: number, fee = 1_000n, memo = '') {
  return signTx(
    {
      type: TX_TYPES.TRANSFER,
      chainId: running!.node.genesis.chainId,
      signer: from.publicKey,
      nonce,
      payload: encodeTransfer({ fee, to: to.publicKey, amount, memo }),
    },
    from.secretKey,
  )
}

const submit = (bytes: Uint8Array) => api('/v1/transactions', { tx: Buffer.from(bytes).toString('base64') })

beforeAll(async () => {
  dir = await tempDir('stele-e2e-ledger-')
  await start()
})
afterAll(async () => {
  await running?.close()
  await dir.cleanup()
})

describe('the ledger over real HTTP', () => {
  const producer = () => toHex(running!.node.identity.key.publicKey)
  let producerBefore = 0n

  it('funds an account from the faucet, transfers, and shows balances, nonces, fees and histories', async () => {
    const grant = await api('/v1/faucet', { address: toHex(alice.publicKey) })
    expect(grant.status).toBe(200)
    expect(grant.body.amount).toBe('100000000')
    await confirmed(grant.body.hash)
    // A second grant to the same address within the cooldown is refused with a retry time.
    const again = await api('/v1/faucet', { address: toHex(alice.publicKey) })
    expect(again.status).toBe(429)
    expect(again.body.error.code).toBe('STELE_RATE_LIMITED')
    expect(again.body.error.details.retryAfterMs).toBeGreaterThan(0)

    producerBefore = BigInt((await api(`/v1/accounts/${producer()}`)).body.balance)
    const t = transfer(alice, bob, 25_000_000n, 0, 1_000n, 'rent')
    const sent = await submit(t.bytes)
    expect(sent.status).toBe(200)
    const tx = await confirmed(sent.body.hash)
    expect(tx.type).toBe('transfer')
    expect(tx.payload).toMatchObject({
      amount: '25000000',
      fee: '1000',
      memo: 'rent',
      to: toHex(bob.publicKey),
    })
    expect(tx.proof.txPath).toBeInstanceOf(Array)

    const a = (await api(`/v1/accounts/${toHex(alice.publicKey)}`)).body
    const b = (await api(`/v1/accounts/${toHex(bob.publicKey)}`)).body
    expect(a).toMatchObject({ balance: String(100_000_000n - 25_000_000n - 1_000n), nonce: 1, symbol: 'STL' })
    expect(b).toMatchObject({ balance: '25000000', nonce: 0, balanceCoins: '25' })
    const p = (await api(`/v1/accounts/${producer()}`)).body
    expect(BigInt(p.balance) - producerBefore).toBe(1_000n)

    const ha = (await api(`/v1/accounts/${toHex(alice.publicKey)}/transactions`)).body
    expect(ha.items.map((i: { type: string }) => i.type)).toEqual(['transfer', 'faucet-grant'])
    const hb = (await api(`/v1/accounts/${toHex(bob.publicKey)}/transactions?limit=1`)).body
    expect(hb.items).toHaveLength(1)
    expect(hb.items[0].hash).toBe(sent.body.hash)
    expect(hb.nextCursor).toBeNull()
    const page1 = (await api(`/v1/accounts/${toHex(alice.publicKey)}/transactions?limit=1`)).body
    const page2 = (
      await api(`/v1/accounts/${toHex(alice.publicKey)}/transactions?limit=1&cursor=${page1.nextCursor}`)
    ).body
    expect(page2.items[0].type).toBe('faucet-grant')
    expect(page2.nextCursor).toBeNull()
  })

  it('refuses a replay of every accepted transaction, pending or confirmed', async () => {
    const t1 = transfer(alice, bob, 1n, 1)
    const t2 = transfer(alice, bob, 2n, 2)
    expect((await submit(t1.bytes)).status).toBe(200)
    // Nonce n+1 is accepted while n is pending; the same bytes again are a replay.
    expect((await submit(t2.bytes)).status).toBe(200)
    for (const t of [t1, t2]) {
      const r = await submit(t.bytes)
      expect(r.status).toBe(409)
      expect(r.body.error.code).toBe('STELE_NONCE_TOO_LOW')
    }
    await confirmed(toHex(t2.hash))
    const first = (await api(`/v1/accounts/${toHex(alice.publicKey)}/transactions?limit=100`)).body.items
    for (const item of first) {
      const r = await api('/v1/transactions', { tx: item.bytes })
      expect(r.status, item.type).toBe(409)
      expect(r.body.error.code).toBe('STELE_NONCE_TOO_LOW')
    }
    // The other forms of POST /v1/transactions reach the same validation.
    const again = transfer(alice, bob, 2n, 2)
    const raw = await fetch(`${base}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from(again.bytes),
    })
    expect(((await raw.json()) as { error: { code: string } }).error.code).toBe('STELE_NONCE_TOO_LOW')
    expect((await api('/v1/transactions', { txHex: toHex(again.bytes) })).body.error.code).toBe(
      'STELE_NONCE_TOO_LOW',
    )
    const fields = {
      type: again.type,
      chainId: again.chainId,
      signer: toHex(again.signer),
      nonce: again.nonce,
      payload: toHex(again.payload),
      signature: toHex(again.signature),
    }
    expect((await api('/v1/transactions', fields)).body.error.code).toBe('STELE_NONCE_TOO_LOW')
    const next = transfer(alice, bob, 3n, 3)
    const viaFields = await api('/v1/transactions', {
      ...fields,
      nonce: 3,
      payload: toHex(next.payload),
      signature: toHex(next.signature),
    })
    expect(viaFields.body).toEqual({ hash: toHex(next.hash), status: 'accepted' })
    await confirmed(toHex(next.hash))
    const gap = await submit(transfer(alice, bob, 1n, 9).bytes)
    expect(gap.body.error.code).toBe('STELE_NONCE_GAP')
    const poor = await submit(transfer(bob, alice, 10n ** 12n, 0).bytes)
    expect(poor.body.error.code).toBe('STELE_INSUFFICIENT_BALANCE')
    const cheap = await submit(transfer(bob, alice, 1n, 0, 1n).bytes)
    expect(cheap.body.error.code).toBe('STELE_FEE_TOO_LOW')
  })

  it('serves an account proof that verifies offline and fails at a named check when any byte changes', async () => {
    const genesis = await readFile(join(dir.path, 'node', 'genesis.json'), 'utf8')
    const bundle = (await api(`/v1/accounts/${toHex(bob.publicKey)}/proof`)).body as AccountProofBundle
    const ok = verifyAccountProof(bundle, genesis)
    expect(ok.ok, ok.error).toBe(true)
    expect(ok.state?.balance).toBe(25_000_006n)
    for (const field of ['account', 'value', 'stateProof', 'blockHeader', 'blockSignature'] as const) {
      const hex = bundle[field] as string
      for (let i = 0; i < hex.length / 2; i++) {
        const bytes = fromHex(hex, field)
        bytes[i]! ^= 0x01
        const r = verifyAccountProof({ ...bundle, [field]: toHex(bytes) }, genesis)
        expect(r.ok, `${field} byte ${i}`).toBe(false)
        expect(r.checks.at(-1)?.ok).toBe(false)
      }
    }
    const unknown = toHex(key('nobody').publicKey)
    const absent = (await api(`/v1/accounts/${unknown}/proof`)).body as AccountProofBundle
    expect(absent.value).toBeNull()
    const r = verifyAccountProof(absent, genesis)
    expect(r.ok, r.error).toBe(true)
    expect(r.state).toBeNull()
    // Claiming the unknown account holds the proven value of another fails at state.proof.
    const lie = verifyAccountProof({ ...absent, value: bundle.value }, genesis)
    expect(lie.checks.at(-1)).toMatchObject({ name: 'state.proof', ok: false })
    const viaApi = await api('/v1/verify', bundle)
    expect(viaApi.status).toBe(200)
    expect(viaApi.body.account.balance).toBe('25000006')
  })

  it('after a restart, replays the chain to the committed root and keeps balances, nonces and histories', async () => {
    const before = {
      alice: (await api(`/v1/accounts/${toHex(alice.publicKey)}`)).body,
      bob: (await api(`/v1/accounts/${toHex(bob.publicKey)}`)).body,
      history: (await api(`/v1/accounts/${toHex(alice.publicKey)}/transactions`)).body,
    }
    await running!.close()
    running = undefined
    await start()
    const report = await running!.node.verify()
    expect(report.stateRoot).toBe(toHex(running!.node.ledger!.map.root))
    expect((await api(`/v1/accounts/${toHex(alice.publicKey)}`)).body).toEqual(before.alice)
    expect((await api(`/v1/accounts/${toHex(bob.publicKey)}`)).body).toEqual(before.bob)
    expect((await api(`/v1/accounts/${toHex(alice.publicKey)}/transactions`)).body).toEqual(before.history)
    const next = transfer(alice, bob, 5n, 4)
    const sent = await submit(next.bytes)
    expect(sent.status, JSON.stringify(sent.body)).toBe(200)
    await confirmed(sent.body.hash)
  })
})
