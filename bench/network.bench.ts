// Network: blocks and readings per second with 3 nodes (real libp2p on loopback TCP, gossip and sync) beside one
// node on the same load; and a node joining after N blocks syncing to the head, beside reading the same blocks from
// its own disk.
//   node --import tsx bench/network.bench.ts [--quick] [--smoke] [--join]   (--join: the joining row only)
import '../core/polyfills.ts'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ROLES } from '../core/account.ts'
import { toHex } from '../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../core/ed25519.ts'
import { type Genesis, genesisToJson } from '../core/genesis.ts'
import { writeKeyFile } from '../core/key-file.ts'
import { encodeNodeRegistration } from '../core/ledger-payloads.ts'
import { silentLogger } from '../core/logger.ts'
import type { SubmittedBatch } from '../core/node-api.ts'
import { signTx, TX_TYPES } from '../core/transaction.ts'
import { decodeWireBlock, loadWireBlock } from '../node/chain/wire-block.ts'
import { SteleNode } from '../node/node.ts'
import { BatchMaker } from '../test/helpers/batches.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { printTable, type Row } from './table.ts'

const quick = process.argv.includes('--quick')
const smoke = process.argv.includes('--smoke')
const joinOnly = process.argv.includes('--join')
const BATCHES = smoke ? 20 : quick ? 200 : 1000
const RECORDS = 50
const JOIN_BLOCKS = smoke ? 50 : quick ? 1000 : 5000
const INTERVAL = 50

const key = (i: number): KeyPair => keyPairFromSeed(new Uint8Array(32).fill(40 + i))
const cleanups: (() => Promise<void>)[] = []

function genesisOf(producers: KeyPair[]): Genesis {
  return {
    chainId: `bench-net-${producers.length}`,
    time: Date.now() - 60_000,
    producers: producers.map((k) => k.publicKey),
    authority: producers[0]!.publicKey,
    ledger: {
      symbol: 'STL',
      decimals: 6,
      faucet: producers[0]!.publicKey,
      faucetGrant: 1n,
      allocations: [{ account: producers[0]!.publicKey, amount: 1_000_000n }],
      minFees: [],
    },
  }
}

async function openNode(k: KeyPair, genesis: Genesis, intervalMs = INTERVAL): Promise<SteleNode> {
  const dir = await tempDir('stele-bench-net-')
  await writeKeyFile(join(dir.path, 'node.key'), k)
  const file = join(dir.path, 'genesis.json')
  await writeFile(file, JSON.stringify(genesisToJson(genesis)))
  const node = await SteleNode.open({
    dataDir: dir.path,
    logger: silentLogger,
    blockIntervalMs: intervalMs,
    genesisFile: file,
  })
  cleanups.push(async () => {
    await node.close()
    await dir.cleanup()
  })
  return node
}

/** Progress on standard error: the table stays alone on standard output. */
const progress = (msg: string): void => void process.stderr.write(`network bench: ${msg}\n`)

async function until(pred: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('bench: timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Starts `n` producers (networked when n > 1), submits the load round-robin, returns blocks/s and readings/s. */
async function run(n: number): Promise<{ blocksPerSec: number; readingsPerSec: number }> {
  const keys = Array.from({ length: n }, (_, i) => key(i))
  const genesis = genesisOf(keys)
  const nodes: SteleNode[] = []
  for (const k of keys) nodes.push(await openNode(k, genesis))
  if (n > 1) {
    const first = await nodes[0]!.startNetwork({ listen: ['/ip4/127.0.0.1/tcp/0'], probeMs: 500 })
    const addr = first.addresses()[0]!
    for (const node of nodes.slice(1))
      await node.startNetwork({ listen: ['/ip4/127.0.0.1/tcp/0'], peers: [addr], probeMs: 500 })
    await until(() => nodes.every((x) => (x.network?.host.getPeers().length ?? 0) >= 1), 20_000)
  }
  for (const node of nodes) node.start()
  const gw = new BatchMaker(genesis.chainId, { startTime: Date.now() - 30_000 })
  await nodes[0]!.registerGateway(toHex(gw.key.publicKey), 'bench')
  // The registration reaches the others by gossip or in a block.
  const reg = nodes[0]!.mempool.take(1)[0]
  if (reg) nodes[0]!.network?.publishTx(reg.tx.bytes)
  await until(() => nodes.every((x) => x.state.gateways.size === 1), 20_000)
  const batches: SubmittedBatch[] = Array.from({ length: BATCHES }, () => gw.next(RECORDS))
  const startHeight = nodes[0]!.state.tip.height
  const started = performance.now()
  for (let i = 0; i < batches.length; i++) {
    const target = nodes[i % n]!
    // The next batch goes where the previous one has arrived (gossip), as a failing-over gateway would see it.
    await until(() => target.state.tipFor(gw.key.publicKey).nextSeq === i + 1, 20_000)
    await target.submitBatches([batches[i]!])
  }
  await until(
    () => nodes.every((x) => x.mempool.size === 0 && x.state.tip.hash === nodes[0]!.state.tip.hash),
    120_000,
  )
  const s = (performance.now() - started) / 1000
  return {
    blocksPerSec: (nodes[0]!.state.tip.height - startHeight) / s,
    readingsPerSec: (BATCHES * RECORDS) / s,
  }
}

/** A chain of JOIN_BLOCKS blocks on one producer; a second node (no producer) joins and syncs it. */
async function joinAfterBlocks(): Promise<{ syncMs: number; verifyMs: number; decodeMs: number }> {
  const producer = key(10)
  const genesis = genesisOf([producer])
  const source = await openNode(producer, genesis, 3_600_000)
  const gw = new BatchMaker(genesis.chainId, { startTime: Date.now() - 30_000 })
  await source.registerGateway(toHex(gw.key.publicKey), 'bench')
  // The joiner is a registered node: block sync serves chain nodes only (node/p2p/peer-policy.ts).
  const joinerKey = key(11)
  const nonce = (await source.ledger!.account(producer.publicKey, { pending: true })).nonce
  const reg = encodeNodeRegistration({
    fee: 0n,
    node: joinerKey.publicKey,
    roles: ROLES.REPLICATOR,
    endpoints: [],
  })
  const tx = signTx(
    {
      type: TX_TYPES.NODE_REGISTER,
      chainId: genesis.chainId,
      signer: producer.publicKey,
      nonce,
      payload: reg,
    },
    producer.secretKey,
  )
  await source.submitTx(tx.bytes)
  await source.producer.produce()
  while (source.state.tip.height < JOIN_BLOCKS) {
    await source.submitBatches([gw.next(10)])
    await source.producer.produce()
  }
  progress(`built ${JOIN_BLOCKS} blocks at one node`)
  const t0 = performance.now()
  for (let h = 1; h <= JOIN_BLOCKS; h++) decodeWireBlock((await loadWireBlock(source.db, h))!)
  const decodeMs = performance.now() - t0
  // What the joiner does to each block, on the first node's own LevelDB: read, check and replay from genesis.
  const t2 = performance.now()
  const report = await source.verify()
  const verifyMs = performance.now() - t2
  if (report.height !== JOIN_BLOCKS) throw new Error(`bench: verified ${report.height} blocks`)
  progress(`read and verified them from its LevelDB in ${Math.round(verifyMs)} ms; a fresh node joins`)
  const net = await source.startNetwork({ listen: ['/ip4/127.0.0.1/tcp/0'], probeMs: 200 })
  const joiner = await openNode(joinerKey, genesis, 3_600_000)
  // Started as a node is (the producers' interval is an hour: nobody produces meanwhile).
  source.start()
  joiner.start()
  const t1 = performance.now()
  await joiner.startNetwork({ listen: ['/ip4/127.0.0.1/tcp/0'], peers: [net.addresses()[0]!], probeMs: 200 })
  await until(() => joiner.state.tip.height === JOIN_BLOCKS, 600_000)
  const syncMs = performance.now() - t1
  if (joiner.state.tip.hash !== source.state.tip.hash) throw new Error('bench: the joiner is on another head')
  return { syncMs, verifyMs, decodeMs }
}

const joinRows = (j: Awaited<ReturnType<typeof joinAfterBlocks>>): Row[] => [
  {
    benchmark: `node joining after ${JOIN_BLOCKS} blocks: sync to the head over libp2p (fetch, verify, apply)`,
    unit: 'ms',
    stele: j.syncMs,
    ceiling: j.verifyMs,
    peer: `(the same ${JOIN_BLOCKS} blocks read and verified from genesis on the first node's own LevelDB)`,
    target: 'informational',
  },
  {
    benchmark: `the same ${JOIN_BLOCKS} blocks: read and decoded only, from the first node's own LevelDB`,
    unit: 'ms',
    stele: j.decodeMs,
    ceiling: j.verifyMs,
    peer: '(read and verified, as above)',
    target: 'informational',
  },
]

try {
  if (joinOnly) printTable('network', joinRows(await joinAfterBlocks()))
  else {
    const one = await run(1)
    const three = await run(3)
    const j = await joinAfterBlocks()
    printTable('network', [
      {
        benchmark: `blocks/s, ${BATCHES} batches of ${RECORDS} readings, 3 nodes (gossip, ${INTERVAL} ms interval)`,
        unit: 'blocks/s',
        stele: three.blocksPerSec,
        ceiling: one.blocksPerSec,
        peer: '(one node, same load)',
        target: 'informational',
      },
      {
        benchmark: `readings/s confirmed on every node, 3 nodes, submitted round-robin`,
        unit: 'readings/s',
        stele: three.readingsPerSec,
        ceiling: one.readingsPerSec,
        peer: '(one node, same load)',
        target: 'informational',
      },
      ...joinRows(j),
    ])
  }
} finally {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
}
