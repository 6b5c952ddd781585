// Ledger: transfers/s through POST /v1/transactions until confirmed (real HTTP on loopback, 1 s blocks; the senders
// run in a child process of their own, as remote clients would, so the node's thread is the node's), beside the
// same signed transfers admitted in-process (no HTTP) in the same run; and the state-root update cost per block at
// 1k and 10k accounts (µs and hashes per block, LevelDB-backed map), beside recomputing the root from scratch.
//   node --import tsx bench/ledger.bench.ts [--quick] [--transfers]   (--transfers: only the two transfer rows)
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { Agent, request } from 'node:http'
import { encodeAccount } from '../core/account.ts'
import { type KeyPair, keyPairFromSeed } from '../core/ed25519.ts'
import { sha256 } from '../core/hash.ts'
import { encodeTransfer } from '../core/ledger-payloads.ts'
import { silentLogger } from '../core/logger.ts'
import { computeStateRoot, STATE_NS, stateKey } from '../core/state-map.ts'
import { type SignedTx, signTx, TX_TYPES } from '../core/transaction.ts'
import { buildApp } from '../node/api/app.ts'
import { openDb } from '../node/db/db.ts'
import { StateMap } from '../node/ledger/state-map.ts'
import { SteleNode } from '../node/node.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { printTable } from './table.ts'

const quick = process.argv.includes('--quick')
// --smoke: a few seconds, to check the benchmark runs (its figures mean nothing).
const smoke = process.argv.includes('--smoke')
const transfersOnly = process.argv.includes('--transfers')
const SENDERS = 16
const PER_SENDER = smoke ? 3 : quick ? 100 : 500
const FEE = 1_000n

const keys = new Map<number, KeyPair>()
const key = (i: number): KeyPair => {
  const k = keys.get(i) ?? keyPairFromSeed(sha256(Buffer.from(`stele-bench-ledger:${i}`)))
  keys.set(i, k)
  return k
}

/** Each sender's transfers, signed ahead (signing is the client's cost, not the node's). */
function signAll(chainId: string, senders: KeyPair[]): SignedTx[][] {
  return senders.map((s, si) =>
    Array.from({ length: PER_SENDER }, (_, n) =>
      signTx(
        {
          type: TX_TYPES.TRANSFER,
          chainId,
          signer: s.publicKey,
          nonce: n,
          payload: encodeTransfer({
            fee: FEE,
            to: key(10_000 + ((si * PER_SENDER + n) % 4096)).publicKey,
            amount: 1n,
            memo: '',
          }),
        },
        s.secretKey,
      ),
    ),
  )
}

/** A node whose senders are funded from the faucet (one block). */
async function fundedNode(): Promise<{ node: SteleNode; senders: KeyPair[]; cleanup: () => Promise<void> }> {
  const dir = await tempDir('bench-ledger-')
  const node = await SteleNode.open({ dataDir: dir.path, logger: silentLogger, blockIntervalMs: 1000 })
  const faucet = node.identity.faucetKey!
  const senders = Array.from({ length: SENDERS }, (_, i) => key(i))
  for (const [i, s] of senders.entries())
    await node.submitTx(
      signTx(
        {
          type: TX_TYPES.TRANSFER,
          chainId: node.genesis.chainId,
          signer: faucet.publicKey,
          nonce: i,
          payload: encodeTransfer({ fee: FEE, to: s.publicKey, amount: 10n ** 12n, memo: '' }),
        },
        faucet.secretKey,
      ).bytes,
    )
  await node.producer.produce()
  return {
    node,
    senders,
    cleanup: async () => {
      await node.close()
      await dir.cleanup()
    },
  }
}

async function confirmedAll(node: SteleNode): Promise<void> {
  while (node.mempool.size > 0) await node.producer.produce()
}

/** POSTs one signed transaction on a kept-alive connection (node:http: undici's fetch cost the senders' process
 * about as much CPU per transfer as the node spent admitting it); resolves when the node answered 200. */
function post(agent: Agent, url: URL, body: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/octet-stream', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`transfer refused: ${Buffer.concat(chunks).toString()}`)),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** The child: signs every sender's transfers, says ready, and on `go` each sender posts its next transfer when the
 * node answered the previous one. */
async function senderProcess(base: string, chainId: string): Promise<void> {
  const work = signAll(
    chainId,
    Array.from({ length: SENDERS }, (_, i) => key(i)),
  )
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS })
  const url = new URL('/v1/transactions', base)
  process.send!({ ready: true })
  await once(process, 'message')
  await Promise.all(
    work.map(async (txs) => {
      for (const t of txs) await post(agent, url, t.bytes)
    }),
  )
  agent.destroy()
  process.send!({ done: true })
}

/** The clock runs from `go` to the block that holds the last transfer. */
async function overHttp(): Promise<number> {
  const { node, cleanup } = await fundedNode()
  const app = await buildApp({ node, logger: false })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const args = ['--senders', base, node.genesis.chainId, ...process.argv.slice(2)]
  const child = fork(new URL(import.meta.url).pathname, args, { execArgv: ['--import', 'tsx'] })
  const exited = once(child, 'exit')
  const failed = exited.then(([code]) => {
    throw new Error(`sender process exited with ${code}`)
  })
  failed.catch(() => undefined)
  const next = () => Promise.race([once(child, 'message'), failed])
  await next()
  node.start()
  const t0 = performance.now()
  child.send({ go: true })
  await next()
  await confirmedAll(node)
  const ms = performance.now() - t0
  await exited
  await app.close()
  await cleanup()
  return (SENDERS * PER_SENDER) / (ms / 1000)
}

async function inProcess(): Promise<number> {
  const { node, senders, cleanup } = await fundedNode()
  const work = signAll(node.genesis.chainId, senders)
  const t0 = performance.now()
  await Promise.all(
    work.map(async (txs) => {
      for (const t of txs) await node.submitTx(t.bytes)
    }),
  )
  await confirmedAll(node)
  const ms = performance.now() - t0
  await cleanup()
  return (SENDERS * PER_SENDER) / (ms / 1000)
}

/** A block of `perBlock` transfers writes 2 accounts each (plus the producer's fee): the state map's cost for it. */
async function stateRootCost(accounts: number, perBlock: number, blocks: number) {
  const dir = await tempDir('bench-statemap-')
  const db = await openDb(dir.path)
  const map = await new StateMap(db).open()
  const value = (i: number, nonce: number) =>
    encodeAccount({ balance: BigInt(1_000_000 + i), nonce, roles: 0 })
  const k = (i: number) => stateKey(STATE_NS.ACCOUNT, key(i).publicKey)
  const keys = Array.from({ length: accounts }, (_, i) => k(i))
  await map.apply(keys.map((key, i) => ({ key, value: value(i, 0) })))
  let us = 0
  let hashes = 0
  for (let b = 1; b <= blocks; b++) {
    const changes = Array.from({ length: perBlock * 2 + 1 }, (_, j) => {
      const i = (b * 7919 + j * 104_729) % accounts
      return { key: keys[i]!, value: value(i, b) }
    })
    const t0 = performance.now()
    const u = await map.stage(changes)
    us += (performance.now() - t0) * 1000
    hashes += u.hashes
    await db.batch(u.ops)
    map.committed(u)
  }
  // The ceiling: the root by the definition over every leaf, what a map without stored nodes would redo per block.
  const leaves = keys.map((key, i) => ({ key, valueHash: sha256(value(i, 1)) }))
  const t0 = performance.now()
  computeStateRoot(leaves)
  const fullUs = (performance.now() - t0) * 1000
  await db.close()
  await dir.cleanup()
  return { us: us / blocks, hashes: hashes / blocks, fullUs }
}

const at = process.argv.indexOf('--senders')
if (at > 0) {
  await senderProcess(process.argv[at + 1]!, process.argv[at + 2]!)
  process.exit(0)
}
const http = await overHttp()
const direct = await inProcess()
const PER_BLOCK = 100
const BLOCKS = smoke ? 2 : quick ? 20 : 100
const sizes = transfersOnly
  ? []
  : ([
      ['1k', smoke ? 300 : 1_000],
      ['10k', smoke ? 300 : 10_000],
    ] as const)
const costs: [string, Awaited<ReturnType<typeof stateRootCost>>][] = []
for (const [n, accounts] of sizes) costs.push([n, await stateRootCost(accounts, PER_BLOCK, BLOCKS)])
printTable('ledger', [
  {
    benchmark: `transfers via POST /v1/transactions until confirmed, ${SENDERS} senders`,
    unit: 'transfers/s',
    stele: http,
    ceiling: direct,
    peer: '(same transfers admitted in-process)',
    target: '>= 1,000 transfers/s',
    met: http >= 1_000,
  },
  ...costs.map(([n, c]) => {
    return {
      benchmark: `state root update per block of ${PER_BLOCK} transfers, ${n} accounts (${Math.round(c.hashes)} hashes/block)`,
      unit: 'µs/block',
      stele: c.us,
      ceiling: c.fullUs,
      peer: '(root recomputed from all leaves)',
      target: '<= 20,000 µs/block',
      met: c.us <= 20_000,
    }
  }),
])
