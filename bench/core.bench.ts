// core/ primitives: hashing, encodings, Merkle, sealing, Ed25519 and proof verification, each in ops/s, with
// node:crypto's raw sign/verify on a prebuilt KeyObject as the ceiling in the same run.
//   node --import tsx bench/core.bench.ts [--quick]
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as rawSign,
  verify as rawVerify,
} from 'node:crypto'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { ZERO_HASH } from '../core/batch.ts'
import { keyPairFromSeed, signMessage, verifySignature } from '../core/ed25519.ts'
import { sha256 } from '../core/hash.ts'
import { leafHash, merkleRoot } from '../core/merkle.ts'
import { decodeRecord, encodeRecord, type StampedRecord } from '../core/record.ts'
import { sealBatch } from '../core/seal.ts'
import { verifyProof } from '../core/verify-proof.ts'
import { buildScenario } from '../test/core/fixtures.ts'
import { printTable } from './table.ts'

const quick = process.argv.includes('--quick')
const SLICE_MS = quick ? 250 : 900

let sink = 0
const keep = (b: Uint8Array | boolean | object): void => {
  sink += b instanceof Uint8Array ? b[0]! : b === true ? 1 : 0
}

/** Runs `fn` repeatedly for about SLICE_MS after a short warm-up; returns calls per second. */
function measure(fn: () => void): number {
  const until = (ms: number): number => {
    let n = 0
    const t0 = performance.now()
    let t = t0
    while (t - t0 < ms) {
      for (let i = 0; i < 16; i++) fn()
      n += 16
      t = performance.now()
    }
    return n / ((t - t0) / 1000)
  }
  until(SLICE_MS / 5)
  return until(SLICE_MS)
}

const S = buildScenario()
const key = S.keys.gateway
const record: StampedRecord = S.records[0]!
const recordBytes = encodeRecord(record)
const bytes200 = new Uint8Array(200).map((_, i) => i)
const leaves1000 = Array.from({ length: 1000 }, (_, i) => leafHash(Uint8Array.of(i & 0xff, i >> 8)))
const records1000 = Array.from({ length: 1000 }, (_, i) =>
  encodeRecord({ ...record, seq: i + 1, time: record.time + i, deviceSeq: i }),
)
const msg = S.batches[0]!.tx.body
const sig = signMessage(msg, key.secretKey)
const priv = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), key.secretKey]),
  format: 'der',
  type: 'pkcs8',
})
const pub = createPublicKey(priv)
if (!verifySignature(sig, msg, keyPairFromSeed(key.secretKey).publicKey))
  throw new Error('bench setup: bad key')

const rows: [string, number, string][] = []
const run = (name: string, fn: () => void, note = ''): number => {
  const r = measure(fn)
  rows.push([name, r, note])
  return r
}

const t0 = performance.now()
run('sha256, 200 bytes', () => keep(sha256(bytes200)))
run('leafHash, one record', () => keep(leafHash(recordBytes)), `${recordBytes.length}-byte record`)
// SHA-256 candidates for the accept path's two hashes per record (issue 11 item 3): core's node:crypto one-shot, a
// Hash object per call, @noble/hashes (pure JS) and hash-wasm (WASM, when installed: `npm install --no-save hash-wasm`).
// Rounds interleaved and the best kept, so drift on a shared machine hits every candidate alike.
const node65 = new Uint8Array(65).map((_, i) => i)
const leafInput = new Uint8Array(recordBytes.length + 1)
leafInput.set(recordBytes, 1)
type Hasher = (d: Uint8Array) => Uint8Array
const hashers: [string, Hasher][] = [
  ['node crypto.hash one-shot (core)', sha256],
  ['node createHash per call', (d) => createHash('sha256').update(d).digest()],
  ['@noble/hashes', (d) => nobleSha256(d)],
]
try {
  const { createSHA256 } = (await import('hash-wasm' as string)) as {
    createSHA256(): Promise<{
      init(): unknown
      update(d: Uint8Array): unknown
      digest(f: 'binary'): Uint8Array
    }>
  }
  const w = await createSHA256()
  hashers.push([
    'hash-wasm (reused WASM hasher)',
    (d) => {
      w.init()
      w.update(d)
      return w.digest('binary')
    },
  ])
} catch {
  console.log(
    'hash-wasm not installed: its rows are left out (npm install --no-save hash-wasm to include them)',
  )
}
const hashRates = new Map<string, number>()
for (const [input, data] of [
  ['65-byte Merkle node', node65],
  [`${leafInput.length}-byte record leaf`, leafInput],
] as const) {
  const best = new Map<string, number>()
  for (let round = 0; round < 3; round++)
    for (const [name, h] of hashers) {
      const r = measure(() => keep(h(data)))
      best.set(name, Math.max(best.get(name) ?? 0, r))
    }
  for (const [name, r] of best) {
    rows.push([`sha256, ${input}: ${name}`, r, 'best of 3 interleaved'])
    hashRates.set(`${input}: ${name}`, r)
  }
}
run('record encode', () => keep(encodeRecord(record)))
run('record decode', () => keep(decodeRecord(recordBytes)))
const roots = run('merkleRoot, 1000 leaf hashes', () => keep(merkleRoot(leaves1000)), '999 node hashes')
const seals = run(
  'sealBatch, 1000 records',
  () =>
    keep(
      sealBatch({
        chainId: S.genesis.chainId,
        gateway: key,
        seq: 1,
        prevHash: ZERO_HASH,
        records: records1000,
        firstRecordSeq: 1,
        minTime: record.time,
        maxTime: record.time + 999,
      }).tx.hash,
    ),
  'leaf hashes + root + header + 1 signature + record list',
)
const coreSign = run(
  'Ed25519 sign (core)',
  () => keep(signMessage(msg, key.secretKey)),
  `${msg.length}-byte tx body`,
)
const rawSigns = run('Ed25519 sign (raw crypto.sign, KeyObject)', () => keep(rawSign(null, msg, priv)))
const coreVerify = run('Ed25519 verify (core)', () => keep(verifySignature(sig, msg, key.publicKey)))
const rawVerifies = run('Ed25519 verify (raw crypto.verify, KeyObject)', () =>
  keep(rawVerify(null, msg, pub, sig)),
)
const proofs = run(
  'verifyProof (trusted genesis)',
  () => keep(verifyProof(S.bundle, S.genesis)),
  '2 verifies + 4 decodes + 2 paths',
)
const elapsed = (performance.now() - t0) / 1000

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1))
const head = ['operation', 'ops/s', 'µs/op', 'note']
const lines = rows.map(([n, r, note]) => [n, fmt(r), (1e6 / r).toFixed(2), note])
const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
const row = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
console.log(`\ncore primitives (node ${process.version}, one core, ${SLICE_MS} ms per row)`)
console.log(row(head))
console.log(row(widths.map((w) => '-'.repeat(w))))
for (const l of lines) console.log(row(l))

printTable('core against the node:crypto ceiling (same run)', [
  { benchmark: 'Ed25519 sign/s: core vs raw KeyObject', stele: coreSign, ceiling: rawSigns, target: '≈ 1' },
  {
    benchmark: 'Ed25519 verify/s: core vs raw KeyObject',
    stele: coreVerify,
    ceiling: rawVerifies,
    target: '≈ 1',
  },
  {
    benchmark: 'proofs/s vs raw verifies/s ÷ 2',
    stele: proofs,
    ceiling: rawVerifies / 2,
    target: '< 1: hex, genesis, decodes, paths',
  },
  { benchmark: 'records sealed/s vs raw signs/s', stele: seals * 1000, ceiling: rawSigns, target: 'info' },
  ...[...hashRates]
    .filter(([k]) => !k.endsWith('(core)'))
    .map(([k, r]) => {
      const [input, name] = k.split(': ')
      return {
        benchmark: `sha256/s, ${input}: core (crypto.hash) vs ${name}`,
        stele: hashRates.get(`${input}: node crypto.hash one-shot (core)`)!,
        ceiling: r,
        target: '>= 1: keep the fastest',
        met: hashRates.get(`${input}: node crypto.hash one-shot (core)`)! >= r,
      }
    }),
])
console.log(
  `\nMerkle: ${fmt(roots * 1000)} leaves/s into roots; ${elapsed.toFixed(1)} s total (sink ${sink % 10})`,
)
