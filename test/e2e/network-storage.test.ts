import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestnetLayout } from '../../cli/commands/testnet-setup.ts'
import { ROLES } from '../../core/account.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { encodeDriveCreate, encodeDrivePut } from '../../core/drive-payloads.ts'
import type { KeyPair } from '../../core/ed25519.ts'
import { minFee } from '../../core/genesis-ledger.ts'
import { readKeyFile } from '../../core/key-file.ts'
import { encodeNodeRegistration, encodeTransfer } from '../../core/ledger-payloads.ts'
import { signTx, TX_TYPES } from '../../core/transaction.ts'
import type { SteleProcess } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'
import { getJson, layoutTestnet, startNode, urlOf } from './network-helpers.ts'

/**
 * Issue 16, "Done when": a drive with 2 replicas on other nodes keeps passing challenges; a replicator that drops
 * the data fails its next challenge. Three real `stele node` processes: A holds the upload, B and C are the drive's
 * replicators and fetch it as soon as the drive-put is in a block.
 */
const PERIOD = 4

describe('a drive replicated on two other nodes', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let layout: TestnetLayout
  const procs: (SteleProcess | undefined)[] = []
  let owner: KeyPair
  const nonces = new Map<string, number>()

  beforeAll(async () => {
    dir = await tempDir('stele-net-storage-')
    layout = await layoutTestnet(dir.path, 3)
    owner = (await readKeyFile(join(layout.nodes[0]!.dataDir, 'node', 'faucet.key')))!
    for (let i = 0; i < 3; i++) procs[i] = startNode(layout, i)
    await Promise.all(
      procs.map((p) => p!.waitFor((l) => l['msg'] === 'node on the network', 'p2p up', 60_000)),
    )
  }, 90_000)

  afterAll(async () => {
    await Promise.all(procs.map((p) => p?.kill('SIGKILL')))
    await dir?.cleanup()
  })

  /** Signs with the signer's next nonce (every tx of a signer goes to one node at a time) and submits at node i. */
  async function send(i: number, signer: KeyPair, type: number, payload: Uint8Array): Promise<string> {
    const k = toHex(signer.publicKey)
    const nonce = nonces.get(k) ?? 0
    const tx = signTx(
      { type, chainId: layout.genesis.chainId, signer: signer.publicKey, nonce, payload },
      signer.secretKey,
    )
    const r = await fetch(`${urlOf(layout, i)}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tx: Buffer.from(tx.bytes).toString('base64') }),
    })
    if (!r.ok) throw new Error(`tx ${type} at node ${i}: ${r.status} ${await r.text()}`)
    nonces.set(k, nonce + 1)
    return toHex(tx.hash)
  }

  const fee = (type: number) => minFee(layout.genesis.ledger!, type)

  /** Transfers from the owner, one every 250 ms while on: this chain makes no empty block, so drives age only so. */
  function pump(i: number): { stop(): Promise<void> } {
    let on = true
    const sink = layout.nodes[1]!.key.publicKey
    const run = (async () => {
      while (on) {
        const payload = encodeTransfer({ fee: fee(TX_TYPES.TRANSFER), to: sink, amount: 1n, memo: '' })
        await send(i, owner, TX_TYPES.TRANSFER, payload)
        await new Promise((r) => setTimeout(r, 250))
      }
    })()
    return {
      async stop() {
        on = false
        await run
      },
    }
  }

  type Rep = { key: string; passed: number; failed: number; missed: number }
  async function driveAt(i: number, id: string) {
    const r = await getJson(`${urlOf(layout, i)}/v1/drives/${id}`)
    return r.status === 200 ? r.body : undefined
  }
  const rep = (d: { replicators: Rep[] } | undefined, node: number): Rep | undefined =>
    d?.replicators.find((r) => r.key === toHex(layout.nodes[node]!.key.publicKey))

  /** Waits until every node in `at` shows replicator `node` of the drive meeting `ok`. */
  function everyNodeSees(at: number[], id: string, node: number, ok: (r: Rep) => boolean, what: string) {
    let last = ''
    return until(
      async () => {
        const seen = await Promise.all(at.map(async (i) => rep(await driveAt(i, id), node)))
        last = JSON.stringify(seen)
        return seen.every((r) => r !== undefined && ok(r)) ? seen : undefined
      },
      { what, timeoutMs: 60_000, everyMs: 200, detail: () => last },
    )
  }

  async function settled(nodes: number[]) {
    await until(
      async () => {
        const h = await Promise.all(nodes.map((i) => getJson(`${urlOf(layout, i)}/v1/health`)))
        return h.every((x) => x.body?.pending === 0)
      },
      { what: `nodes ${nodes} with nothing pending`, timeoutMs: 20_000, everyMs: 200 },
    )
  }

  /** Unpins the file and runs gc at node i: its blocks are gone from that node. */
  async function drop(i: number, cid: string) {
    await fetch(`${urlOf(layout, i)}/v1/storage/pins/${cid}`, { method: 'DELETE' })
    const gc = await (await fetch(`${urlOf(layout, i)}/v1/storage/gc`, { method: 'POST' })).json()
    expect(gc.deletedBlocks, `gc at node ${i}`).toBeGreaterThanOrEqual(4)
    expect((await getJson(`${urlOf(layout, i)}/v1/storage/files/${cid}/stat`)).status).toBe(404)
  }

  it('its replicators fetch it on assignment and pass; a dropped copy comes back from a peer; dropped everywhere, the challenge is missed', async () => {
    // B and C take the replicator role (the authority registers them; they stay genesis producers).
    for (const n of [1, 2])
      await send(
        0,
        layout.authority,
        TX_TYPES.NODE_REGISTER,
        encodeNodeRegistration({
          fee: fee(TX_TYPES.NODE_REGISTER),
          node: layout.nodes[n]!.key.publicKey,
          roles: ROLES.PRODUCER | ROLES.REPLICATOR,
          endpoints: [layout.nodes[n]!.p2pAddr],
        }),
      )
    await settled([0])

    // A 600 kB file (a dag-pb root over three leaves) uploaded to A only.
    const body = new Uint8Array(600_000).map((_, i) => (i * 7919) % 251)
    const up = await fetch(`${urlOf(layout, 0)}/v1/storage/files`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    })
    const { cid } = (await up.json()) as { cid: string }
    const stat = (await getJson(`${urlOf(layout, 0)}/v1/storage/files/${cid}/stat`)).body

    const id = await send(
      0,
      owner,
      TX_TYPES.DRIVE_CREATE,
      encodeDriveCreate({
        fee: fee(TX_TYPES.DRIVE_CREATE),
        capacity: 4_000_000,
        replicas: 2,
        duration: 100_000,
        period: PERIOD,
        price: 1n,
      }),
    )
    await until(async () => (await driveAt(0, id))?.status === 'active', {
      what: 'the drive active',
      timeoutMs: 20_000,
    })
    const replicators = (await driveAt(0, id)).replicators.map((r: Rep) => r.key).sort()
    expect(replicators).toEqual([1, 2].map((n) => toHex(layout.nodes[n]!.key.publicKey)).sort())

    await send(
      0,
      owner,
      TX_TYPES.DRIVE_PUT,
      encodeDrivePut({
        fee: fee(TX_TYPES.DRIVE_PUT),
        drive: fromHex(id, 'drive', 32),
        name: 'f.bin',
        cid: CID.parse(cid).bytes,
        size: stat.size,
        tsize: stat.tsize,
      }),
    )
    // Both replicators fetch the file from A as soon as the put is in a block: no challenge has asked yet.
    for (const n of [1, 2]) {
      await procs[n]!.waitFor(
        (l) => l['msg'] === 'replica fetched on assignment',
        `node ${n} fetched`,
        60_000,
      ).catch(async (e) => {
        const said = procs[n]!.lines.filter((l) => /replica|drive/.test(String(l['msg'])))
        throw new Error(
          `${e.message}\n${JSON.stringify(said.slice(-5))}\n${JSON.stringify(await driveAt(n, id))}`,
        )
      })
      const d = await driveAt(n, id)
      expect(d.replica, `node ${n}`).toEqual({ held: true, missingBlocks: 0, fetching: false })
      expect(rep(d, n)!.passed).toBe(0)
    }
    expect((await driveAt(0, id)).replica).toBeUndefined() // A is no replicator

    // Several challenge periods: both pass at every node.
    let filler = pump(0)
    for (const n of [1, 2])
      await everyNodeSees([0, 1, 2], id, n, (r) => r.passed >= 3 && r.failed === 0, `node ${n} passed 3`)

    // B drops its copy: a peer still holds it, so B's next challenge fetches it back and passes (self-heal).
    const beforeHeal = rep(await driveAt(1, id), 1)!.passed
    await drop(1, cid)
    expect((await driveAt(1, id)).replica).toMatchObject({ held: false })
    await everyNodeSees(
      [0, 1, 2],
      id,
      1,
      (r) => r.passed > beforeHeal + 1 && r.failed === 0,
      'B passes again',
    )
    expect((await driveAt(1, id)).replica).toMatchObject({ held: true, missingBlocks: 0 })

    // Every holder drops it: A goes away, B and C delete their copies. B's next challenge cannot be answered.
    await filler.stop()
    await settled([0, 1, 2])
    await procs[0]!.kill('SIGKILL')
    procs[0] = undefined
    for (const n of [1, 2]) await drop(n, cid)
    const before = rep(await driveAt(1, id), 1)!
    filler = pump(1)
    await everyNodeSees([1, 2], id, 1, (r) => r.missed > before.missed, 'B misses its challenge')
    await filler.stop()
    const after = rep(await driveAt(2, id), 1)!
    expect(after.passed).toBe(before.passed)
    expect((await driveAt(1, id)).replica).toMatchObject({ held: false })
    // A comes back, syncs, and its chain counts the same miss.
    procs[0] = startNode(layout, 0)
    await everyNodeSees([0], id, 1, (r) => r.missed === after.missed, 'A sees the miss after syncing')
  }, 180_000)
})
