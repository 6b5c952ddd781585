// Node accept with contracts: signed 1000-record batches from 4 gateways submitted concurrently to the node
// in-process, blocks every second, with 10 contracts deployed (each runs on every block's temperature readings and
// submits a result) beside the same load on a node with none, in the same process. The time counts until the last
// block is sealed and the executor has processed it.
//   node --import tsx bench/contracts-accept.bench.ts [--quick]
import { toHex } from '../core/bytes.ts'
import { encodeContractDeploy } from '../core/contract-payloads.ts'
import { minFee } from '../core/genesis-ledger.ts'
import { silentLogger } from '../core/logger.ts'
import type { SubmittedBatch } from '../core/node-api.ts'
import type { StampedRecord } from '../core/record.ts'
import { signTx, TX_TYPES } from '../core/transaction.ts'
import { SteleNode } from '../node/node.ts'
import { BatchMaker } from '../test/helpers/batches.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { printTable } from './table.ts'

const quick = process.argv.includes('--quick')
const GATEWAYS = 4
const BATCHES = quick ? 80 : 400
const PER_BATCH = 1000
const DEVICES = 25
const CONTRACTS = 10

/** A contract of the usual kind: per device, a count and the maximum, and an event when a new maximum passes 25. */
const CODE = `
export function onReading(r, ctx) {
  const k = r.device
  const s = ctx.state.get(k) ?? { n: 0, max: -1e9 }
  s.n++
  if (r.value > s.max) {
    if (r.value > 25 && s.max <= 25) ctx.emit('hot', { device: k, value: r.value })
    s.max = r.value
  }
  ctx.state.set(k, s)
}
`

function makeBatches(gws: BatchMaker[]): SubmittedBatch[][] {
  return gws.map((g, gi) =>
    Array.from({ length: BATCHES / GATEWAYS }, () => {
      const records: StampedRecord[] = []
      for (let i = 0; i < PER_BATCH; i++)
        records.push(...g.records(1, `dev-${gi}-${i % DEVICES}`, i % 2 ? 'temp' : 'hum'))
      const s = g.seal(records)
      return { tx: s.tx.bytes, records: s.records }
    }),
  )
}

async function deploy(node: SteleNode, n: number): Promise<void> {
  const key = node.identity.key
  for (let i = 0; i < n; i++) {
    const { cid } = await node.storage.add(
      (async function* () {
        yield new TextEncoder().encode(`${CODE}\n// contract ${i}\n`)
      })(),
    )
    const nonce = (await node.ledger!.account(key.publicKey, { pending: true })).nonce
    const tx = signTx(
      {
        type: TX_TYPES.CONTRACT_DEPLOY,
        chainId: node.genesis.chainId,
        signer: key.publicKey,
        nonce,
        payload: encodeContractDeploy({
          fee: minFee(node.genesis.ledger!, TX_TYPES.CONTRACT_DEPLOY),
          name: `bench-${i}`,
          codeCid: cid,
          gasLimit: 100_000_000,
          filter: { devices: [], sensors: ['temp'], gateways: [] },
        }),
      },
      key.secretKey,
    )
    await node.submitTx(tx.bytes)
  }
}

async function accept(contracts: number): Promise<{ rate: number; results: number; statuses: string }> {
  const dir = await tempDir('bench-contracts-accept-')
  const node = await SteleNode.open({ dataDir: dir.path, logger: silentLogger, recordsPerSecPerGateway: 1e9 })
  const gws = Array.from({ length: GATEWAYS }, () => new BatchMaker(node.genesis.chainId))
  const work = makeBatches(gws)
  for (const g of gws) await node.registerGateway(toHex(g.key.publicKey), 'bench')
  await deploy(node, contracts)
  await node.producer.produce()
  node.start() // blocks every second, as in production
  await node.contracts!.idle()
  const statuses = new Map<string, number>()
  node.contracts!.on('result', (r) => statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1))
  const t0 = performance.now()
  await Promise.all(
    work.map(async (batches) => {
      for (const b of batches) await node.submitBatches([b])
    }),
  )
  await node.producer.produce()
  await node.contracts!.idle()
  const ms = performance.now() - t0
  // Results of the last runs: one more block seals them (not timed).
  await node.producer.produce()
  await node.contracts!.idle()
  await node.close()
  await dir.cleanup()
  const results = [...statuses.values()].reduce((a, b) => a + b, 0)
  return {
    rate: (BATCHES * PER_BATCH) / (ms / 1000),
    results,
    statuses: [...statuses].map(([s, n]) => `${s} ${n}`).join(', ') || 'none',
  }
}

const none = await accept(0)
const ten = await accept(CONTRACTS)
printTable('node accept with contracts (records/s)', [
  {
    benchmark: `node accept, ${GATEWAYS} gateways, 1000-record batches, ${CONTRACTS} contracts on temp readings`,
    unit: 'records/s',
    stele: ten.rate,
    ceiling: none.rate,
    peer: '(same load, no contract)',
    target: 'informational',
  },
])
console.log(`results sealed with ${CONTRACTS} contracts: ${ten.results} (${ten.statuses})`)
