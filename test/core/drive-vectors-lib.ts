import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { toHex, utf8 } from '../../core/bytes.ts'
import {
  encodeDriveClose,
  encodeDriveCreate,
  encodeDrivePut,
  encodeDriveRemove,
  encodeStorageProofTx,
} from '../../core/drive-payloads.ts'
import { directoryBlock, driveChallenge } from '../../core/drive-proof.ts'
import { type DriveFile, type DriveState, encodeDriveState } from '../../core/drive-state.ts'
import { sha256 } from '../../core/hash.ts'
import { leafHash, STATE_NS, stateKey } from '../../core/state-map.ts'
import { RAW, SHA2_256 } from '../../core/storage-proof.ts'
import { type SignedTx, signTx, TX_TYPES, txSigningMessage } from '../../core/transaction.ts'
import { CHAIN_ID, keys, SEEDS } from './fixtures.ts'

/**
 * Builds core/vectors/drives.json and the generated drive vector section of docs/protocol.md (§10.5). As in
 * ledger-vectors-lib.ts, every layout is written out field by field from the specification and checked to
 * concatenate to what core encodes. The owner is RFC 8032 TEST 3 (fixtures' authority), the replicator TEST 2
 * (fixtures' producer).
 */

export interface DriveVector {
  id: string
  title: string
  value: { [k: string]: unknown }
  fields: [string, string][]
  hex: string
  derived: { [k: string]: string }
}

export interface DriveVectors {
  $comment: string
  keys: { [role: string]: { seed: string; publicKey: string } }
  encodings: DriveVector[]
}

const hx = toHex
const uint = (v: number | bigint, bytes: number): string =>
  BigInt(v)
    .toString(16)
    .padStart(bytes * 2, '0')
const str8 = (name: string, s: string): [string, string][] => [
  [`${name}.length`, uint(utf8(s).length, 1)],
  [name, hx(utf8(s))],
]
const var32 = (name: string, b: Uint8Array): [string, string][] => [
  [`${name}.length`, uint(b.length, 4)],
  [name, hx(b)],
]
const cid8 = (name: string, b: Uint8Array): [string, string][] => [
  [`${name}.length`, uint(b.length, 1)],
  [name, hx(b)],
]

function vector(
  id: string,
  title: string,
  value: { [k: string]: unknown },
  fields: [string, string][],
  encoded: Uint8Array,
  derived: { [k: string]: string } = {},
): DriveVector {
  const hex = hx(encoded)
  if (fields.map(([, h]) => h).join('') !== hex)
    throw new Error(`drive vector ${id}: the field-by-field layout differs from what core encodes`)
  return { id, title, value, fields, hex, derived }
}

function txVector(
  id: string,
  title: string,
  payload: { [k: string]: unknown },
  payloadFields: [string, string][],
  tx: SignedTx,
): DriveVector {
  return vector(
    id,
    title,
    { type: tx.type, chainId: tx.chainId, signer: hx(tx.signer), nonce: tx.nonce, payload },
    [
      ['version', '01'],
      ['type', uint(tx.type, 1)],
      ...str8('chainId', tx.chainId),
      ['signer', hx(tx.signer)],
      ['nonce', uint(tx.nonce, 8)],
      ['payload.length', uint(tx.payload.length, 4)],
      ...payloadFields.map(([n, h]): [string, string] => [`payload.${n}`, h]),
      ['signature', hx(tx.signature)],
    ],
    tx.bytes,
    { signingMessage: hx(txSigningMessage(tx.body)), hash: hx(tx.hash) },
  )
}

/** The file of the vectors: one raw block (its CID is `ipfs add --cid-version 1 --raw-leaves` of these bytes). */
export const FILE_BYTES = utf8('Stele drive vector: one raw leaf.\n')
/** The challenge seed: the hash of the block before the challenge (here a fixed value). */
export const SEED = sha256(utf8('stele-vectors:drive-challenge'))
export const CHALLENGE_HEIGHT = 12

export function buildDriveVectors(): DriveVectors {
  const k = keys()
  const owner = k.authority
  const replicator = k.producer
  const fee = 1000n
  const sign = (type: number, nonce: number, payload: Uint8Array, key = owner) =>
    signTx({ type, chainId: CHAIN_ID, signer: key.publicKey, nonce, payload }, key.secretKey)
  const amount = (v: bigint) => uint(v, 8)

  const create = { fee, capacity: 1_048_576, replicas: 1, duration: 100, period: 10, price: 5n }
  const createTx = sign(TX_TYPES.DRIVE_CREATE, 0, encodeDriveCreate(create))
  const drive = createTx.hash

  const cid = CID.createV1(RAW, createDigest(SHA2_256, sha256(FILE_BYTES)))
  const file: DriveFile = {
    name: 'readme.txt',
    cid: cid.bytes,
    size: FILE_BYTES.length,
    tsize: FILE_BYTES.length,
  }
  const put = { fee, drive, name: file.name, cid: file.cid, size: file.size, tsize: file.tsize }
  const putTx = sign(TX_TYPES.DRIVE_PUT, 1, encodeDrivePut(put))
  const removeTx = sign(TX_TYPES.DRIVE_REMOVE, 2, encodeDriveRemove({ fee, drive, name: file.name }))
  const closeTx = sign(TX_TYPES.DRIVE_CLOSE, 3, encodeDriveClose({ fee, drive }))

  const dir = directoryBlock([file])
  const challenge = driveChallenge(SEED, drive, replicator.publicKey, [file])!
  const answer = { fee, drive, height: CHALLENGE_HEIGHT, directory: dir.bytes, nodes: [], leaf: FILE_BYTES }
  const proofTx = sign(TX_TYPES.STORAGE_PROOF, 0, encodeStorageProofTx(answer), replicator)

  const state: DriveState = {
    status: 'active',
    owner: owner.publicKey,
    capacity: create.capacity,
    used: file.size,
    replicas: 1,
    period: create.period,
    duration: create.duration,
    start: 2,
    end: 102,
    price: create.price,
    escrow: create.price * BigInt(create.duration) - create.price * BigInt(create.period),
    root: dir.cid.bytes,
    files: [file],
    replicators: [
      { key: replicator.publicKey, passed: 1, failed: 0, missed: 0, answered: CHALLENGE_HEIGHT, paid: 50n },
    ],
    challenge: { height: CHALLENGE_HEIGHT, seed: SEED },
  }
  const stateBytes = encodeDriveState(state)
  const key = stateKey(STATE_NS.DRIVE, drive)

  return {
    $comment:
      'Drive transactions (types 7 to 11), a drive directory, a challenge and the drive state leaf; generated by test/core/gen-drive-vectors.ts; docs/protocol.md §10.5.',
    keys: {
      owner: { seed: SEEDS.authority, publicKey: hx(owner.publicKey) },
      replicator: { seed: SEEDS.producer, publicKey: hx(replicator.publicKey) },
    },
    encodings: [
      txVector(
        'tx-drive-create',
        'drive-create (type 7), signed by the owner',
        { ...create, fee: String(fee), price: String(create.price) },
        [
          ['fee', amount(fee)],
          ['capacity', uint(create.capacity, 8)],
          ['replicas', uint(create.replicas, 1)],
          ['duration', uint(create.duration, 8)],
          ['period', uint(create.period, 4)],
          ['price', amount(create.price)],
        ],
        createTx,
      ),
      txVector(
        'tx-drive-put',
        'drive-put (type 8): readme.txt → a one-block raw file',
        {
          fee: String(fee),
          drive: hx(drive),
          name: file.name,
          cid: cid.toString(),
          size: file.size,
          tsize: file.tsize,
        },
        [
          ['fee', amount(fee)],
          ['drive', hx(drive)],
          ...str8('name', file.name),
          ...cid8('cid', file.cid),
          ['size', uint(file.size, 8)],
          ['tsize', uint(file.tsize, 8)],
        ],
        putTx,
      ),
      txVector(
        'tx-drive-remove',
        'drive-remove (type 9)',
        { fee: String(fee), drive: hx(drive), name: file.name },
        [['fee', amount(fee)], ['drive', hx(drive)], ...str8('name', file.name)],
        removeTx,
      ),
      txVector(
        'tx-drive-close',
        'drive-close (type 10)',
        { fee: String(fee), drive: hx(drive) },
        [
          ['fee', amount(fee)],
          ['drive', hx(drive)],
        ],
        closeTx,
      ),
      vector(
        'drive-directory',
        'The drive root after the put: a UnixFS directory linking readme.txt (dag-pb)',
        { files: [{ name: file.name, cid: cid.toString(), tsize: file.tsize }] },
        [['dag-pb', hx(dir.bytes)]],
        dir.bytes,
        {
          cid: dir.cid.toString(),
          challengeHash: hx(sha256(new Uint8Array([...SEED, ...drive, ...replicator.publicKey]))),
          challengeFile: String(challenge.file),
          challengeOffset: String(challenge.offset),
          challengedByte: uint(FILE_BYTES[challenge.offset]!, 1),
        },
      ),
      txVector(
        'tx-storage-proof',
        `storage-proof (type 11): the replicator's answer to the challenge at height ${CHALLENGE_HEIGHT}, signed by it`,
        {
          fee: String(fee),
          drive: hx(drive),
          height: CHALLENGE_HEIGHT,
          directory: hx(dir.bytes),
          nodes: [],
          leaf: hx(FILE_BYTES),
        },
        [
          ['fee', amount(fee)],
          ['drive', hx(drive)],
          ['height', uint(CHALLENGE_HEIGHT, 8)],
          ...var32('directory', dir.bytes),
          ['nodes.count', '00'],
          ...var32('leaf', FILE_BYTES),
        ],
        proofTx,
      ),
      vector(
        'drive-state',
        'Drive state leaf (§10.4): active, one file, one replicator after one passed challenge',
        {
          status: state.status,
          owner: hx(state.owner),
          capacity: state.capacity,
          used: state.used,
          replicas: state.replicas,
          period: state.period,
          duration: state.duration,
          start: state.start,
          end: state.end,
          price: String(state.price),
          escrow: String(state.escrow),
          root: dir.cid.toString(),
          files: [{ name: file.name, cid: cid.toString(), size: file.size, tsize: file.tsize }],
          replicators: [
            {
              key: hx(replicator.publicKey),
              passed: 1,
              failed: 0,
              missed: 0,
              answered: CHALLENGE_HEIGHT,
              paid: '50',
            },
          ],
          challenge: { height: CHALLENGE_HEIGHT, seed: hx(SEED) },
        },
        [
          ['version', '01'],
          ['status', '01'],
          ['owner', hx(state.owner)],
          ['capacity', uint(state.capacity, 8)],
          ['used', uint(state.used, 8)],
          ['replicas', uint(state.replicas, 1)],
          ['period', uint(state.period, 4)],
          ['duration', uint(state.duration, 8)],
          ['start', uint(state.start, 8)],
          ['end', uint(state.end, 8)],
          ['price', amount(state.price)],
          ['escrow', amount(state.escrow)],
          ...cid8('root', state.root),
          ['files.count', uint(1, 2)],
          ...str8('files[0].name', file.name),
          ...cid8('files[0].cid', file.cid),
          ['files[0].size', uint(file.size, 8)],
          ['files[0].tsize', uint(file.tsize, 8)],
          ['replicators.count', '01'],
          ['replicators[0].key', hx(replicator.publicKey)],
          ['replicators[0].passed', uint(1, 8)],
          ['replicators[0].failed', uint(0, 8)],
          ['replicators[0].missed', uint(0, 8)],
          ['replicators[0].answered', uint(CHALLENGE_HEIGHT, 8)],
          ['replicators[0].paid', amount(50n)],
          ['challenge.height', uint(CHALLENGE_HEIGHT, 8)],
          ['challenge.seed', hx(SEED)],
        ],
        stateBytes,
        { stateKey: hx(key), leafHash: hx(leafHash(key, sha256(stateBytes))) },
      ),
    ],
  }
}

export const DRIVE_DOC_BEGIN =
  '<!-- BEGIN GENERATED DRIVE VECTORS (test/core/gen-drive-vectors.ts from core/vectors/drives.json) -->'
export const DRIVE_DOC_END = '<!-- END GENERATED DRIVE VECTORS -->'

const hexBlock = (h: string): string => `\`\`\`text\n${(h.match(/.{1,64}/g) ?? ['']).join('\n')}\n\`\`\``

export function renderDriveSection(v: DriveVectors): string {
  const out: string[] = [DRIVE_DOC_BEGIN, '']
  out.push(
    'Generated from `core/vectors/drives.json`; `test/core/drive-vectors.test.ts` fails if this section, the JSON or',
    `the code disagree. Owner: RFC 8032 §7.1 TEST 3 (\`${v.keys['owner']!.publicKey}\`); replicator: TEST 2`,
    `(\`${v.keys['replicator']!.publicKey}\`); chain id \`${CHAIN_ID}\`. The drive id is the hash of the drive-create.`,
    '',
  )
  let n = 1
  for (const e of v.encodings) {
    out.push(`#### 10.5.${n++} ${e.title} — \`${e.id}\``, '', '| field | hex |', '| --- | --- |')
    for (const [f, h] of e.fields)
      out.push(`| ${f} | ${h.length > 64 ? `${h.slice(0, 64)}…` : h === '' ? '(empty)' : `\`${h}\``} |`)
    out.push('', 'Encoding:', '', hexBlock(e.hex), '')
    for (const [d, h] of Object.entries(e.derived))
      out.push(`${d}: \`${h.length > 128 ? `${h.slice(0, 64)}…` : h}\``, '')
  }
  out.push(DRIVE_DOC_END)
  return out.join('\n')
}

export function extractDriveSection(doc: string): string | undefined {
  const a = doc.indexOf(DRIVE_DOC_BEGIN)
  const b = doc.indexOf(DRIVE_DOC_END)
  if (a < 0 || b < a) return undefined
  return doc.slice(a, b + DRIVE_DOC_END.length)
}
