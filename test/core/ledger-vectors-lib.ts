import { encodeAccount, ROLES } from '../../core/account.ts'
import {
  type AccountProofBundle,
  toAccountProofBundle,
  verifyAccountProof,
} from '../../core/account-proof.ts'
import { signBlockHeader } from '../../core/block.ts'
import { encodeGenesis, type Genesis, genesisHash, genesisToJson } from '../../core/genesis.ts'
import { sha256 } from '../../core/hash.ts'
import {
  encodeFaucetGrant,
  encodeNodeEntry,
  encodeNodeRegistration,
  encodeTransfer,
  type FaucetGrant,
  type NodeRegistration,
  type Transfer,
} from '../../core/ledger-payloads.ts'
import { leafHash as merkleLeaf, merkleRoot } from '../../core/merkle.ts'
import {
  computeStateRoot,
  EMPTY_HASH,
  encodeStateProof,
  leafHash,
  nodeHash,
  STATE_NS,
  type StateProof,
  stateKey,
  stateProofError,
} from '../../core/state-map.ts'
import { type SignedTx, signTx, TX_TYPES } from '../../core/transaction.ts'
import { BLOCK_TIME, CHAIN_ID, GENESIS_TIME, keys, SEEDS } from './fixtures.ts'
import {
  extractSection,
  type Field,
  hx,
  type LayoutVector,
  type LayoutVectorArgs,
  layoutVector,
  renderFieldVector,
  str8,
  txLayoutVector,
  uint,
} from './vector-fields.ts'

/**
 * Builds core/vectors/ledger.json and the generated vector section of docs/protocol.md §9.8. As in vectors-lib.ts,
 * every layout is written out field by field from the specification and checked to concatenate to what core/
 * encodes. The keys are the RFC 8032 §7.1 seeds of fixtures.ts: the faucet is TEST 1, the producer TEST 2, the
 * authority TEST 3.
 */

export type LedgerVector = LayoutVector

export interface LedgerVectors {
  $comment: string
  keys: { [role: string]: { seed: string; publicKey: string } }
  encodings: LedgerVector[]
  state: {
    leaves: { what: string; namespace: number; id: string; key: string; value: string; leafHash: string }[]
    root: string
    proofs: { what: string; key: string; value: string | null; proof: string; fields: [string, string][] }[]
  }
  /** Account proof bundles (§9.7) against block 1: the authority's account, and the all-zero key (absent). */
  accountProofs: { what: string; bundle: AccountProofBundle }[]
}

const vector = (...a: LayoutVectorArgs): LedgerVector => layoutVector('ledger vector', ...a)

const txVector = (id: string, title: string, tx: SignedTx, payloadFields: Field[]): LedgerVector =>
  txLayoutVector('ledger vector', id, title, tx, payloadFields)

function proofFields(p: StateProof): [string, string][] {
  return [
    ['version', '01'],
    ['leaf.flag', p.leaf ? '01' : '00'],
    ...(p.leaf
      ? ([
          ['leaf.key', hx(p.leaf.key)],
          ['leaf.valueHash', hx(p.leaf.valueHash)],
        ] as [string, string][])
      : []),
    ['siblings.count', uint(p.siblings.length, 2)],
    ...p.siblings.map((s, i): [string, string] => [`siblings[${i}]`, hx(s)]),
  ]
}

/** The proof of `key` in the tree of `leaves`, by the definition (the vectors do not use the node's tree). */
function proveByDefinition(
  leaves: { key: Uint8Array; valueHash: Uint8Array }[],
  key: Uint8Array,
): StateProof {
  const bit = (k: Uint8Array, d: number): number => (k[d >> 3]! >> (7 - (d & 7))) & 1
  type L = { key: Uint8Array; valueHash: Uint8Array }
  const rootAt = (set: L[], d: number): Uint8Array =>
    set.length === 0
      ? EMPTY_HASH
      : set.length === 1
        ? leafHash(set[0]!.key, set[0]!.valueHash)
        : nodeHash(
            rootAt(
              set.filter((l) => bit(l.key, d) === 0),
              d + 1,
            ),
            rootAt(
              set.filter((l) => bit(l.key, d) === 1),
              d + 1,
            ),
          )
  const down: Uint8Array[] = []
  let set = leaves
  let d = 0
  while (set.length > 1) {
    const b = bit(key, d)
    const other = set.filter((l) => bit(l.key, d) !== b)
    down.push(rootAt(other, d + 1))
    set = set.filter((l) => bit(l.key, d) === b)
    d++
  }
  const siblings = down.reverse()
  return set.length === 1 ? { leaf: set[0]!, siblings } : { siblings }
}

export function buildLedgerVectors(): LedgerVectors {
  const k = keys()
  const faucet = k.gateway
  const { producer, authority } = k
  const genesis: Genesis = {
    chainId: CHAIN_ID,
    time: GENESIS_TIME,
    producers: [producer.publicKey],
    authority: authority.publicKey,
    ledger: {
      symbol: 'STL',
      decimals: 6,
      faucet: faucet.publicKey,
      faucetGrant: 5_000_000n,
      allocations: [{ account: faucet.publicKey, amount: 1_000_000_000_000n }],
      minFees: [{ type: TX_TYPES.TRANSFER, fee: 10n }],
    },
  }
  const L = genesis.ledger!
  const enc: LedgerVector[] = []
  const gj = genesisToJson(genesis)
  const { hash: _h, ...genesisValue } = gj
  enc.push(
    vector(
      'genesis-v2',
      'Genesis version 2',
      genesisValue,
      [
        ['version', '02'],
        ...str8('chainId', genesis.chainId),
        ['time', uint(genesis.time, 8)],
        ['producers.count', uint(1, 4)],
        ['producers[0]', hx(producer.publicKey)],
        ['authority', hx(authority.publicKey)],
        ...str8('symbol', L.symbol),
        ['decimals', uint(L.decimals, 1)],
        ['faucet', hx(L.faucet)],
        ['faucetGrant', uint(L.faucetGrant, 8)],
        ['allocations.count', uint(L.allocations.length, 2)],
        ...L.allocations.flatMap((a, i): [string, string][] => [
          [`allocations[${i}].account`, hx(a.account)],
          [`allocations[${i}].amount`, uint(a.amount, 8)],
        ]),
        ['minFees.count', uint(L.minFees.length, 1)],
        ...L.minFees.flatMap((f, i): [string, string][] => [
          [`minFees[${i}].type`, uint(f.type, 1)],
          [`minFees[${i}].fee`, uint(f.fee, 8)],
        ]),
      ],
      encodeGenesis(genesis),
      { hash: hx(genesisHash(genesis)) },
    ),
  )

  const grant: FaucetGrant = { fee: 0n, to: authority.publicKey, amount: 5_000_000n }
  const grantTx = signTx(
    {
      type: TX_TYPES.FAUCET_GRANT,
      chainId: CHAIN_ID,
      signer: faucet.publicKey,
      nonce: 0,
      payload: encodeFaucetGrant(grant),
    },
    faucet.secretKey,
  )
  const transfer: Transfer = { fee: 10n, to: producer.publicKey, amount: 1_250_000n, memo: 'first transfer' }
  const transferTx = signTx(
    {
      type: TX_TYPES.TRANSFER,
      chainId: CHAIN_ID,
      signer: authority.publicKey,
      nonce: 0,
      payload: encodeTransfer(transfer),
    },
    authority.secretKey,
  )
  const reg: NodeRegistration = {
    fee: 0n,
    node: producer.publicKey,
    roles: ROLES.PRODUCER | ROLES.REPLICATOR,
    endpoints: ['http://127.0.0.1:7070', '/ip4/127.0.0.1/tcp/4001'],
  }
  const regTx = signTx(
    {
      type: TX_TYPES.NODE_REGISTER,
      chainId: CHAIN_ID,
      signer: authority.publicKey,
      nonce: 1,
      payload: encodeNodeRegistration(reg),
    },
    authority.secretKey,
  )
  enc.push(
    txVector('tx-faucet-grant', 'Transaction: faucet grant (signed by the faucet)', grantTx, [
      ['fee', uint(grant.fee, 8)],
      ['to', hx(grant.to)],
      ['amount', uint(grant.amount, 8)],
    ]),
    txVector('tx-transfer', 'Transaction: transfer with a memo (signed by the authority)', transferTx, [
      ['fee', uint(transfer.fee, 8)],
      ['to', hx(transfer.to)],
      ['amount', uint(transfer.amount, 8)],
      ...str8('memo', transfer.memo),
    ]),
    txVector('tx-node-register', 'Transaction: node registration (signed by the authority)', regTx, [
      ['fee', uint(reg.fee, 8)],
      ['node', hx(reg.node)],
      ['roles', uint(reg.roles, 1)],
      ['endpoints.count', uint(reg.endpoints.length, 1)],
      ...reg.endpoints.flatMap((e, i) => str8(`endpoints[${i}]`, e)),
    ]),
  )

  // The state after block 1 (the three transactions above), computed by hand from the rules of §9.2.
  const accounts: [string, Uint8Array, { balance: bigint; nonce: number; roles: number }][] = [
    ['faucet', faucet.publicKey, { balance: 1_000_000_000_000n - 5_000_000n, nonce: 1, roles: 0 }],
    ['authority', authority.publicKey, { balance: 5_000_000n - 1_250_000n - 10n, nonce: 2, roles: 0 }],
    ['producer', producer.publicKey, { balance: 1_250_000n + 10n, nonce: 0, roles: reg.roles }],
  ]
  const leaves: LedgerVectors['state']['leaves'] = accounts.map(([what, pub, a]) => {
    const key = stateKey(STATE_NS.ACCOUNT, pub)
    const value = encodeAccount(a)
    return {
      what: `account of the ${what}`,
      namespace: STATE_NS.ACCOUNT,
      id: hx(pub),
      key: hx(key),
      value: hx(value),
      leafHash: hx(leafHash(key, sha256(value))),
    }
  })
  const nodeValue = encodeNodeEntry(reg)
  const nodeKey = stateKey(STATE_NS.NODE, producer.publicKey)
  leaves.push({
    what: 'node registration of the producer',
    namespace: STATE_NS.NODE,
    id: hx(producer.publicKey),
    key: hx(nodeKey),
    value: hx(nodeValue),
    leafHash: hx(leafHash(nodeKey, sha256(nodeValue))),
  })
  const raw = leaves.map((l) => ({
    key: Buffer.from(l.key, 'hex'),
    valueHash: sha256(Buffer.from(l.value, 'hex')),
  }))
  const root = computeStateRoot(raw)

  const proofs: LedgerVectors['state']['proofs'] = []
  const absentKey = stateKey(STATE_NS.ACCOUNT, new Uint8Array(32))
  for (const [what, key, value] of [
    [
      'inclusion: the account of the authority',
      Buffer.from(leaves[1]!.key, 'hex'),
      Buffer.from(leaves[1]!.value, 'hex'),
    ],
    ['non-inclusion: the account of the all-zero key', absentKey, null],
  ] as const) {
    const p = proveByDefinition(raw, key)
    const err = stateProofError(root, key, value, p)
    if (err) throw new Error(`ledger vectors: the ${what} proof does not verify: ${err}`)
    const bytes = encodeStateProof(p)
    const fields = proofFields(p)
    if (fields.map(([, h]) => h).join('') !== hx(bytes))
      throw new Error('ledger vectors: proof layout differs')
    proofs.push({ what, key: hx(key), value: value ? hx(value) : null, proof: hx(bytes), fields })
  }

  const txs = [grantTx, transferTx, regTx]
  const block = signBlockHeader(
    {
      chainId: CHAIN_ID,
      height: 1,
      prevHash: genesisHash(genesis),
      time: BLOCK_TIME,
      txRoot: merkleRoot(txs.map((t) => merkleLeaf(t.hash))),
      stateRoot: root,
      txCount: txs.length,
      producer: producer.publicKey,
    },
    producer.secretKey,
  )
  enc.push(
    vector(
      'block-header-v2',
      'BlockHeader version 2 of block 1 (signed by the producer)',
      {
        chainId: block.chainId,
        height: block.height,
        prevHash: hx(block.prevHash),
        time: block.time,
        txRoot: hx(block.txRoot),
        stateRoot: hx(root),
        txCount: block.txCount,
        producer: hx(block.producer),
      },
      [
        ['version', '02'],
        ...str8('chainId', block.chainId),
        ['height', uint(block.height, 8)],
        ['prevHash', hx(block.prevHash)],
        ['time', uint(block.time, 8)],
        ['txRoot', hx(block.txRoot)],
        ['stateRoot', hx(root)],
        ['txCount', uint(block.txCount, 4)],
        ['producer', hx(block.producer)],
      ],
      block.header,
      { signature: hx(block.signature), hash: hx(block.hash) },
    ),
  )

  const accountProofs = [
    { what: 'the account of the authority (inclusion)', account: authority.publicKey, p: proofs[0]! },
    { what: 'the account of the all-zero key (non-inclusion)', account: new Uint8Array(32), p: proofs[1]! },
  ].map(({ what, account, p }) => {
    const bundle = toAccountProofBundle({
      account,
      value: p.value === null ? null : Buffer.from(p.value, 'hex'),
      stateProof: Buffer.from(p.proof, 'hex'),
      blockHeader: block.header,
      blockSignature: block.signature,
      genesis: genesisToJson(genesis),
    })
    const r = verifyAccountProof(bundle, genesis)
    if (!r.ok) throw new Error(`ledger vectors: the account proof of ${what} does not verify: ${r.error}`)
    return { what, bundle }
  })

  return {
    $comment:
      'Stele ledger test vectors (docs/protocol.md §9.8). Regenerate with: node --import tsx test/core/gen-ledger-vectors.ts',
    keys: {
      faucet: { seed: SEEDS.gateway, publicKey: hx(faucet.publicKey) },
      producer: { seed: SEEDS.producer, publicKey: hx(producer.publicKey) },
      authority: { seed: SEEDS.authority, publicKey: hx(authority.publicKey) },
    },
    encodings: enc,
    state: { leaves, root: hx(root), proofs },
    accountProofs,
  }
}

export const LEDGER_DOC_BEGIN =
  '<!-- BEGIN GENERATED LEDGER VECTORS (test/core/gen-ledger-vectors.ts from core/vectors/ledger.json) -->'
export const LEDGER_DOC_END = '<!-- END GENERATED LEDGER VECTORS -->'

export function renderLedgerSection(v: LedgerVectors): string {
  const out: string[] = [LEDGER_DOC_BEGIN, '']
  out.push(
    'Generated from `core/vectors/ledger.json`; `test/core/ledger-vectors.test.ts` fails if this section, the JSON',
    'or the code disagree. Keys (RFC 8032 §7.1 seeds, as in section 8): faucet TEST 1, producer TEST 2, authority',
    'TEST 3. Block 1 holds the faucet grant, the transfer and the node registration, in that order.',
    '',
  )
  let n = 1
  for (const e of v.encodings) out.push(...renderFieldVector(`#### 9.8.${n++} ${e.title} — \`${e.id}\``, e))
  out.push(
    `#### 9.8.${n++} State after block 1`,
    '',
    '| leaf | namespace | key | value | leaf hash |',
    '| --- | ---: | --- | --- | --- |',
  )
  for (const l of v.state.leaves)
    out.push(`| ${l.what} | ${l.namespace} | \`${l.key}\` | \`${l.value}\` | \`${l.leafHash}\` |`)
  out.push('', `State root: \`${v.state.root}\``, '')
  out.push(`#### 9.8.${n++} State proofs against that root`, '')
  for (const p of v.state.proofs) {
    out.push(
      `${p.what}; key \`${p.key}\`, value ${p.value ? `\`${p.value}\`` : 'null'}:`,
      '',
      '| field | hex |',
      '| --- | --- |',
    )
    for (const [f, h] of p.fields) out.push(`| ${f} | \`${h}\` |`)
    out.push('')
  }
  out.push(`#### 9.8.${n++} Account proof bundles (9.7) against block 1`, '')
  for (const a of v.accountProofs)
    out.push(`${a.what}:`, '', '```json', JSON.stringify(a.bundle, null, 2), '```', '')
  out.push(LEDGER_DOC_END)
  return out.join('\n')
}

export function extractLedgerSection(doc: string): string | undefined {
  return extractSection(doc, LEDGER_DOC_BEGIN, LEDGER_DOC_END)
}
