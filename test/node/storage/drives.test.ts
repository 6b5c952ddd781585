import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../../core/bytes.ts'
import {
  encodeDriveClose,
  encodeDriveCreate,
  encodeDrivePut,
  encodeDriveRemove,
  encodeStorageProofTx,
} from '../../../core/drive-payloads.ts'
import { directoryBlock, driveChallenge } from '../../../core/drive-proof.ts'
import { type DriveState, decodeDriveState } from '../../../core/drive-state.ts'
import { type KeyPair, keyPairFromSeed } from '../../../core/ed25519.ts'
import { sha256 } from '../../../core/hash.ts'
import { encodeTransfer } from '../../../core/ledger-payloads.ts'
import { silentLogger } from '../../../core/logger.ts'
import { decodeStateProof, verifyStateProof } from '../../../core/state-map.ts'
import { RAW, SHA2_256 } from '../../../core/storage-proof.ts'
import { decodeTx, signTx, TX_TYPES } from '../../../core/transaction.ts'
import { buildApp } from '../../../node/api/app.ts'
import { SteleNode } from '../../../node/node.ts'
import { LevelBlockstore } from '../../../node/storage/blockstore.ts'
import { driveKey } from '../../../node/storage/drive-rules.ts'
import { fileEntry } from '../../../node/storage/drive-service.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { bytes } from './fixture.ts'

const key = (name: string): KeyPair => keyPairFromSeed(sha256(Buffer.from(`stele-drive-test:${name}`)))
const owner = key('owner')
const bob = key('bob')
const PRICE = 7n
const PERIOD = 3
const DURATION = 40

async function* chunks(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b
}

let dir: Awaited<ReturnType<typeof tempDir>>
let node: SteleNode
const open = async () => {
  node = await SteleNode.open({ dataDir: dir.path, logger: silentLogger, blockIntervalMs: 60_000 })
  node.start()
}

let nonce = 0
async function submit(type: number, payload: Uint8Array, signer = owner): Promise<string> {
  const tx = signTx(
    { type, chainId: node.genesis.chainId, signer: signer.publicKey, nonce: nonce++, payload },
    signer.secretKey,
  )
  return (await node.ledger!.submit(decodeTx(tx.bytes))).hash
}

/** One block; a filler transfer when nothing else is pending (blocks are never empty). */
async function block(): Promise<void> {
  await node.drives!.idle()
  if (node.mempool.size === 0)
    await submit(TX_TYPES.TRANSFER, encodeTransfer({ fee: 1_000n, to: bob.publicKey, amount: 1n, memo: '' }))
  const b = await node.producer.produce()
  expect(b).not.toBeNull()
  await node.drives!.idle()
}

async function drive(id: Uint8Array): Promise<DriveState> {
  return decodeDriveState((await node.ledger!.map.get(driveKey(id)))!)
}

const tip = () => node.state.tip

beforeAll(async () => {
  dir = await tempDir('stele-drives-')
  await open()
})
afterAll(async () => {
  await node.close().catch(() => undefined)
  await dir.cleanup()
})

describe('a drive over its life', () => {
  let id: Uint8Array
  let files: { name: string; cid: CID }[]
  const me = () => node.identity.key.publicKey

  it('is created with its escrow taken at once, filled, and its root is a UnixFS directory', async () => {
    await node.ledger!.grant(owner.publicKey)
    await node.producer.produce()
    const before = (await node.ledger!.account(owner.publicKey)).balance
    const create = await submit(
      TX_TYPES.DRIVE_CREATE,
      encodeDriveCreate({
        fee: 0n,
        capacity: 4_000_000,
        replicas: 1,
        duration: DURATION,
        period: PERIOD,
        price: PRICE,
      }),
    )
    id = fromHex(create, 'drive', 32)
    await block()
    const d = await drive(id)
    expect(d.status).toBe('active')
    expect(d.start).toBe(tip().height)
    expect(d.replicators.map((r) => toHex(r.key))).toEqual([toHex(me())])
    expect((await node.ledger!.account(owner.publicKey)).balance).toBe(before - PRICE * BigInt(DURATION))

    // One raw leaf, and three leaves under a dag-pb root (a two-level proof).
    const small = await node.storage.add(chunks(bytes(100_000, 1)))
    const big = await node.storage.add(chunks(bytes(600_000, 2)))
    files = [
      { name: 'small.bin', cid: CID.parse(small.cid) },
      { name: 'big.bin', cid: CID.parse(big.cid) },
    ]
    for (const f of files) {
      const e = await fileEntry(node.storage, f.cid)
      await submit(
        TX_TYPES.DRIVE_PUT,
        encodeDrivePut({ fee: 0n, drive: id, name: f.name, cid: f.cid.bytes, size: e.size, tsize: e.tsize }),
      )
    }
    await block()
    const filled = await drive(id)
    expect(filled.used).toBe(700_000)
    expect(CID.decode(filled.root).toString()).toBe(directoryBlock(filled.files).cid.toString())
    // The node keeps the directory block: the drive exports as an IPFS directory.
    expect(await node.storage.blocks.has(CID.decode(filled.root))).toBe(true)
  })

  it('refuses a put of a CID the node does not hold, past capacity, or by another signer', async () => {
    const unknown = CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')
    await expect(
      submit(
        TX_TYPES.DRIVE_PUT,
        encodeDrivePut({ fee: 0n, drive: id, name: 'x', cid: unknown.bytes, size: 1, tsize: 1 }),
      ),
    ).rejects.toMatchObject({ code: 'STELE_CID_UNKNOWN' })
    nonce--
    const e = await fileEntry(node.storage, files[1]!.cid)
    const put = (name: string) =>
      encodeDrivePut({ fee: 0n, drive: id, name, cid: files[1]!.cid.bytes, size: e.size, tsize: e.tsize })
    for (let i = 0; i < 5; i++) await submit(TX_TYPES.DRIVE_PUT, put(`copy-${i}`))
    await expect(submit(TX_TYPES.DRIVE_PUT, put('copy-5'))).rejects.toMatchObject({
      code: 'STELE_CAPACITY_EXCEEDED',
    })
    nonce--
    const stranger = signTx(
      {
        type: TX_TYPES.DRIVE_PUT,
        chainId: node.genesis.chainId,
        signer: bob.publicKey,
        nonce: 0,
        payload: put('b'),
      },
      bob.secretKey,
    )
    await expect(node.ledger!.submit(decodeTx(stranger.bytes))).rejects.toMatchObject({
      code: 'STELE_NOT_AUTHORIZED',
    })
    // Undo the copies so the drive is back to the two files.
    for (let i = 0; i < 5; i++) await submit(TX_TYPES.DRIVE_REMOVE, encodeDriveRemoveName(id, `copy-${i}`))
    await block()
    expect((await drive(id)).files.map((f) => f.name)).toEqual(['big.bin', 'small.bin'])
  })

  /** Blocks until the drive's next challenge opened and was answered (or not) by the node. */
  async function nextPeriod(): Promise<DriveState> {
    const d0 = await drive(id)
    for (;;) {
      await block()
      const d = await drive(id)
      if (d.challenge.height !== d0.challenge.height) {
        await block() // the answer goes in the next block
        return drive(id)
      }
    }
  }

  it('is challenged every period; each verified answer is paid from the escrow', async () => {
    const d1 = await nextPeriod()
    const d2 = await nextPeriod()
    const r = d2.replicators[0]!
    expect(r.passed).toBe(2)
    expect(r.failed + r.missed).toBe(0)
    expect(r.paid).toBe(2n * PRICE * BigInt(PERIOD))
    expect(d2.escrow).toBe(PRICE * BigInt(DURATION) - r.paid)
    expect(d1.challenge.height).toBeLessThan(d2.challenge.height)
  })

  it('refuses an answer to no open challenge, and a second answer to one', async () => {
    const d = await drive(id)
    const p = encodeStorageProofTx({
      fee: 0n,
      drive: id,
      height: d.challenge.height + 1,
      directory: new Uint8Array(0),
      nodes: [],
      leaf: new Uint8Array(1),
    })
    const tx = signTx(
      {
        type: TX_TYPES.STORAGE_PROOF,
        chainId: node.genesis.chainId,
        signer: me(),
        nonce: (await node.ledger!.account(me(), { pending: true })).nonce,
        payload: p,
      },
      node.identity.key.secretKey,
    )
    await expect(node.ledger!.submit(decodeTx(tx.bytes))).rejects.toMatchObject({
      code: 'STELE_CHALLENGE_INVALID',
    })
    await expect(node.drives!.answer(id, d)).rejects.toMatchObject({ code: 'STELE_CHALLENGE_INVALID' })
  })

  it('keeps its state across a restart: the replayed state equals the committed root', async () => {
    const root = toHex(node.ledger!.map.root)
    await node.close()
    await open()
    expect(toHex(node.ledger!.map.root)).toBe(root)
    const report = await node.verify()
    expect(report.stateRoot).toBe(root)
    const d = await nextPeriod()
    expect(d.replicators[0]!.passed).toBe(3)
  })

  /** The leaf the node's next challenge will name: the seed is the hash of the block before the challenge block. */
  async function nextChallengedLeaf(): Promise<CID> {
    const d = await drive(id)
    while ((tip().height + 1 - d.start) % PERIOD !== 0) await block()
    const ch = driveChallenge(fromHex(tip().hash, 'tip', 32), id, me(), d.files)!
    const proof = await node.storage.proof(ch.cid, ch.offset)
    return CID.createV1(RAW, createDigest(SHA2_256, sha256(proof.leaf)))
  }

  it('a replicator whose block store lost the challenged leaf misses its challenge and is not paid', async () => {
    const leaf = await nextChallengedLeaf()
    await node.db.del(LevelBlockstore.key(leaf))
    const before = (await drive(id)).replicators[0]!
    const after = (await nextPeriod()).replicators[0]!
    expect(after.passed).toBe(before.passed)
    expect(after.paid).toBe(before.paid)
    // Counted when the next challenge opens.
    const later = (await nextPeriod()).replicators[0]!
    expect(later.missed).toBe(before.missed + 1)
  })

  it('a replicator whose leaf is corrupted answers, fails the check, and is counted failed', async () => {
    // Restore every file so only the corruption below matters.
    await node.storage.add(chunks(bytes(100_000, 1)))
    await node.storage.add(chunks(bytes(600_000, 2)))
    const leaf = await nextChallengedLeaf()
    const good = await node.storage.blocks.getBytes(leaf)
    const bad = new Uint8Array(good)
    bad[0] = bad[0]! ^ 0xff
    await node.db.put(LevelBlockstore.key(leaf), bad)
    const before = (await drive(id)).replicators[0]!
    const after = (await nextPeriod()).replicators[0]!
    expect(after.failed).toBe(before.failed + 1)
    expect(after.paid).toBe(before.paid)
    await node.db.put(LevelBlockstore.key(leaf), good)
  })

  it('is served over HTTP: the open list, the drive with its challenge record, and its state proof', async () => {
    const app = await buildApp({ node, logger: false })
    try {
      const list = (await app.inject({ url: '/v1/drives?limit=5' })).json()
      expect(list.drives.map((d: { id: string }) => d.id)).toEqual([toHex(id)])
      const one = await app.inject({ url: `/v1/drives/${toHex(id)}` })
      expect(one.statusCode).toBe(200)
      const d = await drive(id)
      expect(one.json()).toMatchObject({
        status: 'active',
        root: CID.decode(d.root).toString(),
        replicators: [{ key: toHex(me()), passed: d.replicators[0]!.passed }],
      })
      const missing = await app.inject({ url: `/v1/drives/${'00'.repeat(32)}` })
      expect(missing.json().error.code).toBe('STELE_DRIVE_UNKNOWN')
      const p = (await app.inject({ url: `/v1/drives/${toHex(id)}/proof` })).json()
      const leaf = decodeStateProof(fromHex(p.stateProof, 'proof'))
      expect(
        verifyStateProof(
          fromHex(p.stateRoot, 'root', 32),
          fromHex(p.key, 'key', 32),
          fromHex(p.value, 'value'),
          leaf,
        ),
      ).toBe(true)
    } finally {
      await app.close()
    }
  })

  it('closes: the owner gets back what is left of the escrow; the drive takes no more changes', async () => {
    const d = await drive(id)
    const before = (await node.ledger!.account(owner.publicKey)).balance
    await submit(TX_TYPES.DRIVE_CLOSE, encodeDriveClose({ fee: 0n, drive: id }))
    await block()
    const closed = await drive(id)
    expect(closed.status).toBe('closed')
    expect(closed.escrow).toBe(0n)
    // The filler transfer of block() is not part of this block: close was pending.
    expect((await node.ledger!.account(owner.publicKey)).balance).toBe(before + d.escrow)
    const paid = closed.replicators[0]!.paid
    expect(paid).toBe(BigInt(closed.replicators[0]!.passed) * PRICE * BigInt(PERIOD))
    await expect(
      submit(TX_TYPES.DRIVE_CLOSE, encodeDriveClose({ fee: 0n, drive: id })),
    ).rejects.toMatchObject({
      code: 'STELE_DRIVE_CLOSED',
    })
    nonce--
    expect((await node.verify()).stateRoot).toBe(toHex(node.ledger!.map.root))
  })
})

function encodeDriveRemoveName(drive: Uint8Array, name: string): Uint8Array {
  return encodeDriveRemove({ fee: 0n, drive, name })
}
