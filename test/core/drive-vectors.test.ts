import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../core/bytes.ts'
import {
  decodeDriveClose,
  decodeDriveCreate,
  decodeDrivePut,
  decodeDriveRemove,
  decodeStorageProofTx,
} from '../../core/drive-payloads.ts'
import { driveChallenge, verifyDriveAnswer } from '../../core/drive-proof.ts'
import { decodeDriveState } from '../../core/drive-state.ts'
import { decodeTx, TX_TYPES } from '../../core/transaction.ts'
import drives from '../../core/vectors/drives.json' with { type: 'json' }
import {
  buildDriveVectors,
  type DriveVector,
  type DriveVectors,
  extractDriveSection,
  renderDriveSection,
} from './drive-vectors-lib.ts'

const V = drives as unknown as DriveVectors
const byId = (id: string): DriveVector => V.encodings.find((e) => e.id === id)!
const H = (...hex: string[]): string =>
  createHash('sha256')
    .update(Buffer.concat(hex.map((h) => Buffer.from(h, 'hex'))))
    .digest('hex')
const payloadOf = (id: string) => decodeTx(fromHex(byId(id).hex)).payload

describe('core/vectors/drives.json', () => {
  it('is exactly what the code produces (regenerate: node --import tsx test/core/gen-drive-vectors.ts)', () => {
    expect(JSON.parse(JSON.stringify(buildDriveVectors()))).toEqual(V)
  })

  it('every field table concatenates to its encoding; transaction hashes are SHA-256 of their bytes', () => {
    for (const e of V.encodings) expect(e.fields.map(([, h]) => h).join(''), e.id).toBe(e.hex)
    for (const e of V.encodings.filter((e) => e.id.startsWith('tx-')))
      expect(e.derived.hash, e.id).toBe(H(e.hex))
  })

  it('the payloads decode to their values; the drive id is the drive-create hash', () => {
    const id = byId('tx-drive-create').derived.hash!
    const create = decodeDriveCreate(payloadOf('tx-drive-create'))
    expect({ ...create, fee: String(create.fee), price: String(create.price) }).toEqual(
      byId('tx-drive-create').value.payload,
    )
    const put = decodeDrivePut(payloadOf('tx-drive-put'))
    expect(toHex(put.drive)).toBe(id)
    expect(CID.decode(put.cid).toString()).toBe((byId('tx-drive-put').value.payload as { cid: string }).cid)
    expect(decodeDriveRemove(payloadOf('tx-drive-remove')).name).toBe('readme.txt')
    expect(toHex(decodeDriveClose(payloadOf('tx-drive-close')).drive)).toBe(id)
    expect(decodeTx(fromHex(byId('tx-storage-proof').hex)).type).toBe(TX_TYPES.STORAGE_PROOF)
  })

  it('the directory CID, the challenge and the answer follow §10.3 by hand, and the answer verifies', () => {
    const dir = byId('drive-directory')
    const root = CID.parse(dir.derived.cid!)
    expect(toHex(root.multihash.digest)).toBe(H(dir.hex))
    const id = byId('tx-drive-create').derived.hash!
    const replicator = V.keys['replicator']!.publicKey
    const state = decodeDriveState(fromHex(byId('drive-state').hex))
    const seed = toHex(state.challenge.seed)
    const c = H(seed, id, replicator)
    expect(dir.derived.challengeHash).toBe(c)
    const size = state.files[0]!.size
    expect(Number(BigInt(`0x${c.slice(16, 32)}`) % BigInt(size))).toBe(Number(dir.derived.challengeOffset))
    const challenge = driveChallenge(state.challenge.seed, fromHex(id), fromHex(replicator), state.files)!
    expect(challenge.offset).toBe(Number(dir.derived.challengeOffset))
    const answer = decodeStorageProofTx(payloadOf('tx-storage-proof'))
    expect(toHex(answer.directory)).toBe(dir.hex)
    expect(answer.leaf[challenge.offset]).toBe(Number.parseInt(dir.derived.challengedByte!, 16))
    expect(verifyDriveAnswer(root, challenge, answer).ok).toBe(true)
    const leaf = Uint8Array.from(answer.leaf)
    leaf[0]! ^= 1
    expect(verifyDriveAnswer(root, challenge, { ...answer, leaf }).ok).toBe(false)
    const directory = Uint8Array.from(answer.directory)
    directory[directory.length - 1]! ^= 1
    expect(verifyDriveAnswer(root, challenge, { ...answer, directory }).ok).toBe(false)
  })

  it('the drive state decodes to its value; its key and leaf hash follow §9.3', () => {
    const e = byId('drive-state')
    const d = decodeDriveState(fromHex(e.hex))
    expect(d.status).toBe(e.value.status)
    expect(CID.decode(d.root).toString()).toBe(byId('drive-directory').derived.cid)
    expect(d.replicators[0]!.passed).toBe(1)
    expect(e.derived.stateKey).toBe(H('04', byId('tx-drive-create').derived.hash!))
    expect(e.derived.leafHash).toBe(H('00', e.derived.stateKey!, H(e.hex)))
  })
})

describe('docs/protocol.md §10.5', () => {
  it('carries exactly the section rendered from core/vectors/drives.json', async () => {
    const doc = await readFile(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
    expect(extractDriveSection(doc)).toBe(renderDriveSection(V))
  })
})
