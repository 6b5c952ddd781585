import { toHex } from '../../core/bytes.ts'
import {
  type ContractCallTx,
  type ContractDeploy,
  type ContractEntry,
  type ContractResult,
  encodeContractCall,
  encodeContractDeploy,
  encodeContractEntry,
  encodeContractResult,
  ZERO_CALL,
} from '../../core/contract-payloads.ts'
import { sha256 } from '../../core/hash.ts'
import { canonicalJson } from '../../node/executor/canonical-json.ts'
import { type ContractEvent, type ContractState, eventsHash, stateRoot } from '../../node/executor/hashes.ts'
import { extractSection } from './vector-fields.ts'

/**
 * The contract vectors (docs/protocol.md §11.4, core/vectors/contracts.json): each payload with its field table
 * (field name, hex) built here by hand from the documented layout, and the encoding the codec gives; a test holds
 * the two equal. Canonical JSON texts and their tagged hashes come from node/executor/hashes.ts.
 */
export interface ContractVector {
  id: string
  fields: [string, string][]
  hex: string
}

export interface ContractVectors {
  canonical: { id: string; value: unknown; text: string; tag: string; hash: string }[]
  encodings: ContractVector[]
}

const hx = (b: Uint8Array | number[]) => Buffer.from(b).toString('hex')
const u8 = (n: number) => hx([n])
const u64 = (n: number | bigint) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(n))
  return b.toString('hex')
}
const str8 = (s: string) => u8(Buffer.byteLength(s)) + Buffer.from(s).toString('hex')
const var32 = (s: string) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(Buffer.byteLength(s))
  return b.toString('hex') + Buffer.from(s).toString('hex')
}
const h32 = (label: string) => sha256(new TextEncoder().encode(label))

const GATEWAY = h32('vector gateway')
const CONTRACT = h32('vector contract-deploy tx')
const CALLER = h32('vector caller')

const state: ContractState = { n: 3, 'alarm:freezer-1/temperature': { since: 1767268800000, value: -12.5 } }
const events: ContractEvent[] = [{ name: 'alert', data: { device: 'freezer-1', value: -12.5 } }]

const filterFields = (f: ContractDeploy['filter']): [string, string][] => [
  ['filter.devices count u8', u8(f.devices.length)],
  ...f.devices.map((d, i): [string, string] => [`filter.devices[${i}] str8`, str8(d)]),
  ['filter.sensors count u8', u8(f.sensors.length)],
  ...f.sensors.map((s, i): [string, string] => [`filter.sensors[${i}] str8`, str8(s)]),
  ['filter.gateways count u8', u8(f.gateways.length)],
  ...f.gateways.map((g, i): [string, string] => [`filter.gateways[${i}] 32`, toHex(g)]),
]

export function buildContractVectors(): ContractVectors {
  const canonical = [
    { id: 'state', value: state, tag: 'stele/contract-state/v1', hash: stateRoot(state) },
    { id: 'empty-state', value: {}, tag: 'stele/contract-state/v1', hash: stateRoot({}) },
    { id: 'events', value: events, tag: 'stele/contract-events/v1', hash: eventsHash(events) },
    { id: 'no-events', value: [], tag: 'stele/contract-events/v1', hash: eventsHash([]) },
  ].map((c) => ({ id: c.id, value: c.value, text: canonicalJson(c.value), tag: c.tag, hash: c.hash }))

  const deploy: ContractDeploy = {
    fee: 1000n,
    name: 'freezer alarm',
    codeCid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
    gasLimit: 2_000_000,
    filter: { devices: ['freezer-1'], sensors: ['temperature'], gateways: [GATEWAY] },
  }
  const call: ContractCallTx = {
    fee: 1000n,
    contract: CONTRACT,
    fn: 'reset',
    args: '{"device":"freezer-1"}',
    gas: 50_000,
  }
  const result: ContractResult = {
    fee: 0n,
    contract: CONTRACT,
    height: 42,
    blockHash: h32('vector block 42'),
    call: ZERO_CALL,
    inputsHash: h32('vector inputs'),
    stateRootBefore: Buffer.from(stateRoot({}), 'hex'),
    stateRootAfter: Buffer.from(stateRoot(state), 'hex'),
    eventsHash: Buffer.from(eventsHash(events), 'hex'),
    gasUsed: 172,
    status: 'ok',
    message: '',
    events: canonicalJson(events),
    state: canonicalJson(state),
  }
  const failed: ContractResult = {
    ...result,
    call: h32('vector contract-call tx'),
    stateRootAfter: result.stateRootBefore,
    eventsHash: Buffer.from(eventsHash([]), 'hex'),
    gasUsed: 50_000,
    status: 'out-of-gas',
    message: 'out of gas',
    events: '[]',
    state: '{}',
  }
  const entry: ContractEntry = {
    owner: CALLER,
    name: deploy.name,
    codeCid: deploy.codeCid,
    gasLimit: deploy.gasLimit,
    filter: deploy.filter,
    lastHeight: 42,
    results: 1,
    stateRoot: result.stateRootAfter,
    state: result.state,
    calls: [
      { hash: h32('vector contract-call tx'), caller: CALLER, fn: call.fn, args: call.args, gas: call.gas },
    ],
  }
  const resultFields = (r: ContractResult): [string, string][] => [
    ['fee amount', u64(r.fee)],
    ['contract 32', toHex(r.contract)],
    ['height u64', u64(r.height)],
    ['blockHash 32', toHex(r.blockHash)],
    ['call 32 (zero: a block run)', toHex(r.call)],
    ['inputsHash 32', toHex(r.inputsHash)],
    ['stateRootBefore 32', toHex(r.stateRootBefore)],
    ['stateRootAfter 32', toHex(r.stateRootAfter)],
    ['eventsHash 32', toHex(r.eventsHash)],
    ['gasUsed u64', u64(r.gasUsed)],
    ['status u8 (0 ok, 1 out-of-gas, 2 error)', u8(['ok', 'out-of-gas', 'error'].indexOf(r.status))],
    ['message var32', var32(r.message)],
    ['events var32 (canonical JSON)', var32(r.events)],
    ['state var32 (canonical JSON)', var32(r.state)],
  ]
  const encodings: [string, [string, string][], Uint8Array][] = [
    [
      'contract-deploy',
      [
        ['fee amount', u64(deploy.fee)],
        ['name str8', str8(deploy.name)],
        ['codeCid str8', str8(deploy.codeCid)],
        ['gasLimit u64', u64(deploy.gasLimit)],
        ...filterFields(deploy.filter),
      ],
      encodeContractDeploy(deploy),
    ],
    [
      'contract-call',
      [
        ['fee amount', u64(call.fee)],
        ['contract 32', toHex(call.contract)],
        ['fn str8', str8(call.fn)],
        ['args var32 (JSON)', var32(call.args)],
        ['gas u64', u64(call.gas)],
      ],
      encodeContractCall(call),
    ],
    ['contract-result-ok', resultFields(result), encodeContractResult(result)],
    ['contract-result-out-of-gas', resultFields(failed), encodeContractResult(failed)],
    [
      'contract-entry',
      [
        ['owner 32', toHex(entry.owner)],
        ['name str8', str8(entry.name)],
        ['codeCid str8', str8(entry.codeCid)],
        ['gasLimit u64', u64(entry.gasLimit)],
        ...filterFields(entry.filter),
        ['lastHeight u64', u64(entry.lastHeight)],
        ['results u64', u64(entry.results)],
        ['stateRoot 32', toHex(entry.stateRoot)],
        ['state var32', var32(entry.state)],
        ['calls count u8', u8(entry.calls.length)],
        ...entry.calls.flatMap((c, i): [string, string][] => [
          [`calls[${i}].hash 32`, toHex(c.hash)],
          [`calls[${i}].caller 32`, toHex(c.caller)],
          [`calls[${i}].fn str8`, str8(c.fn)],
          [`calls[${i}].args var32`, var32(c.args)],
          [`calls[${i}].gas u64`, u64(c.gas)],
        ]),
      ],
      encodeContractEntry(entry),
    ],
  ]
  return { canonical, encodings: encodings.map(([id, fields, bytes]) => ({ id, fields, hex: hx(bytes) })) }
}

export const CONTRACT_DOC_BEGIN =
  '<!-- BEGIN GENERATED CONTRACT VECTORS (test/core/gen-contract-vectors.ts from core/vectors/contracts.json) -->'
export const CONTRACT_DOC_END = '<!-- END GENERATED CONTRACT VECTORS -->'

/** The generated part of docs/protocol.md §11.4: canonical texts with their hashes, then each payload's fields. */
export function renderContractSection(v: ContractVectors): string {
  const out = [
    CONTRACT_DOC_BEGIN,
    '',
    '| id | tag | canonical text | SHA-256(tag ‖ 00 ‖ text) |',
    '| --- | --- | --- | --- |',
  ]
  for (const c of v.canonical) out.push(`| ${c.id} | \`${c.tag}\` | \`${c.text}\` | \`${c.hash}\` |`)
  for (const e of v.encodings) {
    out.push('', `**${e.id}**`, '', '| field | hex |', '| --- | --- |')
    for (const [name, h] of e.fields) out.push(`| ${name} | \`${h === '' ? '(empty)' : h}\` |`)
  }
  out.push('', CONTRACT_DOC_END)
  return out.join('\n')
}

export function extractContractSection(doc: string): string | undefined {
  return extractSection(doc, CONTRACT_DOC_BEGIN, CONTRACT_DOC_END)
}
