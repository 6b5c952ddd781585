// Network: blocks and readings per second with 3 nodes (real libp2p on loopback TCP, gossip and sync) beside one
// node on the same load; and a node joining after N blocks syncing to the head, beside reading the same blocks from
// its own disk.
//   node --import tsx bench/network.bench.ts [--quick] [--smoke] [--join | --no-join]
//   (--join: the joining row only; --no-join: all but it)
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
import { signTx, TX_TYPES } from '../core/transaction.ts'
import { decodeWireBlock, loadWireBlock } from '../node/chain/wire-block.ts'
import { SteleNode } from '../node/node.ts'
import { BatchMaker } from '../test/helpers/batches.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { printTable, type Row } from './table.ts'

const quick = process.argv.includes('--quick')
const smoke = process.argv.includes('--smoke')
const joinOnly = process.argv.includes('--join')
// --no-join: the 3-node and one-node rows only (the joining row takes a chain of JOIN_BLOCKS to build).
const noJoin = process.argv.includes('--no-join')
const BATCHES = smoke ? 21 : quick ? 201 : 999
const RECORDS = 50
/** Gateways submitting at once; gateway g to node g mod n (BATCHES is a multiple of it). */
const GATEWAYS = 3
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

/**
 * Starts `n` producers (networked when n > 1) and GATEWAYS gateways, gateway g submitting to node g mod n (a gateway
 * keeps to one node while it answers), all at once, each its batches one call after the other. Returns blocks/s and
 * readings/s until every node holds every batch in a block and all share one head.
 */
async function run(n: number): Promise<{ blocksPerSec: number; readingsPerSec: number }> {
  const keys = Array.from({ length: n }, (_, i) => key(i))
  const genesis = genesisOf(keys)
  const nodes: SteleNode[] = []
  for (const k of keys) nodes.push(await openNode(k, genesis))
  if (n > 1) {
    // Probes at the nodes' default interval (2 s): every probe moves the peer's tip block, so a shorter one than a
    // deployed node's charged the 3-node rows with four times the sync traffic a network carries.
    const first = await nodes[0]!.startNetwork({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    const addr = first.addresses()[0]!
    for (const node of nodes.slice(1))
      await node.startNetwork({ listen: ['/ip4/127.0.0.1/tcp/0'], peers: [addr] })
    await until(() => nodes.every((x) => (x.network?.host.getPeers().length ?? 0) >= 1), 20_000)
  }
  for (const node of nodes) node.start()
  const gws = Array.from(
    { length: GATEWAYS },
    () => new BatchMaker(genesis.chainId, { startTime: Date.now() - 30_000 }),
  )
  for (const [g, gw] of gws.entries()) await nodes[0]!.registerGateway(toHex(gw.key.publicKey), `bench-${g}`)
  // The registrations reach the others by gossip or in a block.
  for (const reg of nodes[0]!.mempool.take(GATEWAYS)) nodes[0]!.network?.publishTx(reg.tx.bytes)
  await until(() => nodes.every((x) => x.state.gateways.size === GATEWAYS), 20_000)
  const batches = gws.map((gw, g) =>
    Array.from({ length: BATCHES / GATEWAYS }, () => gw.next(RECORDS, `dev-${g}`)),
  )
  const startHeight = nodes[0]!.state.tip.height
  const cpu = process.cpuUsage()
  const started = performance.now()
  await Promise.all(
    batches.map(async (mine, g) => {
      const target = nodes[g % n]!
      for (const b of mine) {
        const [r] = await target.submitBatches([b])
        if (r?.status !== 'accepted') throw new Error(`bench: batch ${r?.status}`)
      }
    }),
  )
  const submitted = performance.now()
  await until(
    () => nodes.every((x) => x.mempool.size === 0 && x.state.tip.hash === nodes[0]!.state.tip.hash),
    120_000,
  )
  const s = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  const blocks = nodes[0]!.state.tip.height - startHeight
  const reorgs = nodes.reduce((sum, x) => sum + (x.network?.sync.reorgs ?? 0), 0)
  // CPU of the whole process (every node, gateway and libp2p here): the machine's load moves it far less than rates.
  progress(
    `${n} node(s): submitted in ${Math.round(submitted - started)} ms, all confirmed everywhere ${Math.round(performance.now() - submitted)} ms later, ${blocks} blocks, ${reorgs} reorgs, CPU ${Math.round((used.user + used.system) / 1000)} ms`,
  )
  return { blocksPerSec: blocks / s, readingsPerSec: (BATCHES * RECORDS) / s }
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
    const j = noJoin ? undefined : await joinAfterBlocks()
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
        benchmark: `readings/s confirmed on every node, 3 nodes, ${GATEWAYS} gateways at once (one a node)`,
        unit: 'readings/s',
        stele: three.readingsPerSec,
        ceiling: one.readingsPerSec,
        peer: '(one node, same load)',
        target: 'informational',
      },
      ...(j ? joinRows(j) : []),
    ])
  }
} finally {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
}
