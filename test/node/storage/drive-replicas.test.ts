import { CID } from 'multiformats/cid'
import { afterEach, describe, expect, it } from 'vitest'
import { ROLES } from '../../../core/account.ts'
import { fromHex, toHex } from '../../../core/bytes.ts'
import { encodeDriveCreate, encodeDrivePut } from '../../../core/drive-payloads.ts'
import { type DriveState, decodeDriveState } from '../../../core/drive-state.ts'
import { type KeyPair, keyPairFromSeed } from '../../../core/ed25519.ts'
import { encodeNodeRegistration, encodeTransfer } from '../../../core/ledger-payloads.ts'
import { signTx, TX_TYPES } from '../../../core/transaction.ts'
import type { SteleNode } from '../../../node/node.ts'
import { driveKey } from '../../../node/storage/drive-rules.ts'
import { fileEntry } from '../../../node/storage/drive-service.ts'
import { gossipMeshed, inProcessNetwork, ledgerGenesis } from '../../helpers/in-process-network.ts'
import { until } from '../../helpers/wait.ts'
import { bytes } from './fixture.ts'

// A produces (the authority) and holds the file; B is the drive's one replicator and starts without it; C holds
// none of the drive's blocks and checks every answer as it applies the blocks.
const keyA = keyPairFromSeed(new Uint8Array(32).fill(41))
const keyB = keyPairFromSeed(new Uint8Array(32).fill(42))
const keyC = keyPairFromSeed(new Uint8Array(32).fill(43))
const owner = keyPairFromSeed(new Uint8Array(32).fill(44))
const PERIOD = 2
const genesis = ledgerGenesis({ chainId: 'drive-replicas-test', producers: [keyA], funded: [owner] })

const nodes = inProcessNetwork(genesis)
afterEach(() => nodes.closeAll())
const open = (key: KeyPair, peers: string[] = []) => nodes.open(key, { network: { peers, probeMs: 200 } })

describe('a drive replicated on another node', () => {
  it('is fetched by its replicator from peers, its answers pass, and a node holding none of it checks them', async () => {
    const a = await open(keyA)
    const peers = a.network!.addresses()
    const b = await open(keyB, peers)
    const c = await open(keyC, peers)
    // C is no chain node, so it can only hear blocks by gossip: the first block must find it in A's mesh.
    await gossipMeshed(a, [b, c])
    const nonces = new Map<string, number>()
    const submit = async (signer: KeyPair, type: number, payload: Uint8Array) => {
      const k = toHex(signer.publicKey)
      const nonce = nonces.get(k) ?? 0
      nonces.set(k, nonce + 1)
      const tx = signTx(
        { type, chainId: genesis.chainId, signer: signer.publicKey, nonce, payload },
        signer.secretKey,
      )
      return (await a.submitTx(tx.bytes)).hash
    }
    const everyone = [a, b, c]
    const block = async () => {
      const made = await a.producer.produce()
      expect(made).not.toBeNull()
      const h = a.state.tip.height
      await until(() => everyone.every((n) => n.state.tip.height === h), { what: `block ${h} on every node` })
      for (const n of everyone) await n.drives!.idle()
    }
    const drive = async (n: SteleNode, id: Uint8Array): Promise<DriveState> =>
      decodeDriveState((await n.ledger!.map.get(driveKey(id)))!)

    await submit(
      keyA,
      TX_TYPES.NODE_REGISTER,
      encodeNodeRegistration({
        fee: 0n,
        node: keyB.publicKey,
        roles: ROLES.REPLICATOR,
        endpoints: peers.slice(0, 1),
      }),
    )
    await block()
    const id = fromHex(
      await submit(
        owner,
        TX_TYPES.DRIVE_CREATE,
        encodeDriveCreate({
          fee: 0n,
          capacity: 4_000_000,
          replicas: 1,
          duration: 40,
          period: PERIOD,
          price: 3n,
        }),
      ),
      'drive',
      32,
    )
    await block()
    expect((await drive(a, id)).replicators.map((r) => toHex(r.key))).toEqual([toHex(keyB.publicKey)])

    // The file is uploaded to A only: 600 KB, a dag-pb root over three raw leaves.
    const cid = CID.parse(
      (
        await a.storage.add(
          (async function* () {
            yield bytes(600_000, 7)
          })(),
        )
      ).cid,
    )
    const e = await fileEntry(a.storage, cid)
    const put = await submit(
      owner,
      TX_TYPES.DRIVE_PUT,
      encodeDrivePut({ fee: 0n, drive: id, name: 'f.bin', cid: cid.bytes, size: e.size, tsize: e.tsize }),
    )
    // B (a chain node, registered) holds none of the file yet and admits the gossiped put: size and DAG size
    // checked against the root block it fetches from A and does not keep, so any producer can seal it, not only
    // the uploader.
    await until(() => b.mempool.has(put), { what: "the put in B's mempool" })
    expect(await b.storage.blocks.has(cid)).toBe(false)
    await block()
    // The block that put the file assigned it to B, which fetches it from A at once, before any challenge.
    await b.drives!.replicas.idle()
    expect(await b.drives!.replica(id, await drive(b, id))).toEqual({
      held: true,
      missingBlocks: 0,
      fetching: false,
    })
    expect(await a.drives!.replica(id, await drive(a, id))).toBeUndefined() // A is no replicator
    // B drops its copy (unpin, gc): the challenge-time fetch gets it back from A.
    await b.storage.unpin(cid)
    expect((await b.storage.gc()).deletedBlocks).toBeGreaterThanOrEqual(4)
    expect(await b.drives!.replica(id, await drive(b, id))).toMatchObject({ held: false, missingBlocks: 1 })

    // Blocks until B's first answer is sealed: B fetches the file from A, answers, and gossips the answer to A.
    let d = await drive(a, id)
    for (let i = 0; i < 4 * PERIOD && d.replicators[0]!.passed === 0; i++) {
      if (a.mempool.size === 0) await submit(owner, TX_TYPES.TRANSFER, transfer())
      await block()
      d = await drive(a, id)
    }
    const [r] = d.replicators
    expect(r).toMatchObject({ passed: 1, failed: 0 })
    expect(await b.storage.blocks.has(cid)).toBe(true)
    expect((await b.storage.pins()).map((p) => p.cid)).toContain(cid.toString())
    // C applied the same answer through the same rules without any of the drive's blocks.
    expect(await c.storage.blocks.has(cid)).toBe(false)
    expect((await drive(c, id)).replicators[0]).toMatchObject({ passed: 1, failed: 0 })
    expect(c.state.tip.hash).toBe(a.state.tip.hash) // the header commits to the state root
  }, 60_000)
})

/** A filler: blocks are never empty. */
function transfer(): Uint8Array {
  return encodeTransfer({ fee: 0n, to: keyA.publicKey, amount: 1n, memo: '' })
}
