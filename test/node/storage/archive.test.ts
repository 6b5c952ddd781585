import { join } from 'node:path'
import { CarReader } from '@ipld/car'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accountCommand } from '../../../cli/commands/account.ts'
import { driveCommand } from '../../../cli/commands/drive.ts'
import { faucetCommand } from '../../../cli/commands/faucet.ts'
import { dayRange, storageCommand } from '../../../cli/commands/storage.ts'
import type { ProofBundle } from '../../../core/proof.ts'
import { verifyProof } from '../../../core/verify-proof.ts'
import { buildApp } from '../../../node/api/app.ts'
import { nodeFixture } from '../../helpers/node.ts'
import { tempDir } from '../../helpers/tmp.ts'

// BatchMaker stamps readings from 1_700_000_000_000 (2023-11-14T22:13:20Z), 10 ms apart.
const DAY = '2023-11-14'
const N = 230 // more than one page of the export (200)
let fx: Awaited<ReturnType<typeof nodeFixture>>
let app: FastifyInstance
let url: string
let dir: Awaited<ReturnType<typeof tempDir>>

/** Waits (deadline-bound) until `n` readings of dev-a are in blocks. */
async function confirmed(n: number): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const page = (await app.inject({ url: '/v1/devices/dev-a/readings?limit=1000' })).json()
    if (page.items.filter((r: { blockHeight: number | null }) => r.blockHeight !== null).length >= n) return
    if (Date.now() > deadline) throw new Error('readings were not sealed in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

beforeAll(async () => {
  fx = await nodeFixture({ blockIntervalMs: 50 })
  app = await buildApp({ node: fx.node, logger: false })
  url = await app.listen({ host: '127.0.0.1', port: 0 })
  dir = await tempDir('stele-archive-')
  await fx.node.submitBatches([fx.gw.next(100, 'dev-a', 'temp'), fx.gw.next(100, 'dev-a', 'hum')])
  await fx.node.submitBatches([fx.gw.next(N - 200, 'dev-a', 'temp'), fx.gw.next(7, 'dev-b', 'temp')])
  await confirmed(N)
})
afterAll(async () => {
  await app.close()
  await fx.close()
  await dir.cleanup()
})

const exported = async (format: string, range = '') => {
  const r = await fetch(`${url}/v1/devices/dev-a/export?format=${format}${range}`)
  expect(r.status).toBe(200)
  return { res: r, bytes: Buffer.from(await r.arrayBuffer()) }
}

async function run(cmd: typeof storageCommand, ...argv: string[]): Promise<string[]> {
  const lines: string[] = []
  expect(await cmd([...argv, '--node', url], (s) => lines.push(s))).toBe(0)
  return lines
}

describe('readings archives', () => {
  it('ndjson: every line is a confirmed reading of the device whose proof verifies offline', async () => {
    const { res, bytes } = await exported('ndjson')
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
    const lines = bytes.toString('utf8').trimEnd().split('\n')
    expect(lines).toHaveLength(N)
    let last = 0
    for (const line of lines) {
      const { reading, proof } = JSON.parse(line) as {
        reading: { id: string; time: number }
        proof: ProofBundle
      }
      const v = verifyProof(proof, fx.node.genesis)
      expect(v.ok, v.error).toBe(true)
      expect(v.record?.device).toBe('dev-a')
      expect((proof as { reading?: { id: string } }).reading?.id).toBe(reading.id)
      expect(reading.time).toBeGreaterThanOrEqual(last)
      last = reading.time
    }
    // A changed value in a line's proof fails it.
    const { proof } = JSON.parse(lines[150]!) as { proof: ProofBundle & { record: string } }
    const record = Buffer.from(proof.record, 'base64')
    record[record.length - 1]! ^= 1
    expect(verifyProof({ ...proof, record: record.toString('base64') }, fx.node.genesis).ok).toBe(false)
  })

  it('csv: a row a reading with its block height and the proof as base64 JSON; from/to bound it', async () => {
    const { bytes } = await exported('csv', '&sensor=hum')
    const rows = bytes.toString('utf8').trimEnd().split('\r\n')
    expect(rows[0]).toBe('id,device,sensor,value,unit,time,timeIso,blockHeight,txHash,leafIndex,proof')
    expect(rows).toHaveLength(101)
    for (const row of rows.slice(1)) {
      const cells = row.split(',')
      const proof = JSON.parse(Buffer.from(cells.at(-1)!, 'base64').toString('utf8')) as ProofBundle
      expect(verifyProof(proof, fx.node.genesis).ok).toBe(true)
      expect(Number(cells[7])).toBeGreaterThan(0)
      expect(cells[2]).toBe('hum')
    }
    const { from, to } = dayRange('2023-11-15')
    expect(
      (await exported('csv', `&from=${from}&to=${to}`)).bytes.toString().trimEnd().split('\r\n'),
    ).toHaveLength(1)
    const missing = await fetch(`${url}/v1/devices/nobody/export`)
    expect(missing.status).toBe(404)
  })

  it('car: the ndjson export as a UnixFS file, its root the CID of the ndjson bytes', async () => {
    const ndjson = (await exported('ndjson')).bytes
    const { res, bytes } = await exported('car')
    const reader = await CarReader.fromBytes(bytes)
    const [root] = await reader.getRoots()
    expect(res.headers.get('x-stele-root')).toBe(root!.toString())
    const added = await fetch(`${url}/v1/storage/files`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: ndjson,
    })
    expect(((await added.json()) as { cid: string }).cid).toBe(root!.toString())
  })

  it('stele storage archive stores the day as a file whose CID is that of the bytes exported, and puts it in a drive', async () => {
    const { from, to } = dayRange(DAY)
    const ndjson = (await exported('ndjson', `&from=${from}&to=${to}`)).bytes
    expect(ndjson.toString().trimEnd().split('\n')).toHaveLength(N)
    const expected = await (
      await fetch(`${url}/v1/storage/files`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: ndjson,
      })
    ).json()

    const key = join(dir.path, 'w.key')
    await accountCommand(['new', '--key', key], () => {})
    await faucetCommand(['--key', key, '--node', url], () => {})
    const created = JSON.parse(
      (
        await run(
          driveCommand,
          'create',
          '--capacity',
          '10000000',
          '--duration',
          '200',
          '--key',
          key,
          '--json',
        )
      )[0]!,
    )
    const out = await run(
      storageCommand,
      'archive',
      '--device',
      'dev-a',
      '--day',
      DAY,
      '-q',
      '--drive',
      created.drive,
      '--key',
      key,
    )
    expect(out[0]).toBe(`${expected.cid}  ${ndjson.length} bytes, dev-a on ${DAY}`)
    expect(out[1]).toMatch(
      new RegExp(`^put in drive ${created.drive} as dev-a-${DAY}\\.ndjson in block \\d+`),
    )
    const d = await (await fetch(`${url}/v1/drives/${created.drive}`)).json()
    expect(d.files).toEqual([
      { name: `dev-a-${DAY}.ndjson`, cid: expected.cid, size: ndjson.length, tsize: expect.any(Number) },
    ])
    await expect(
      storageCommand(['archive', '--device', 'dev-a', '--day', '2023-02-30', '--node', url], () => {}),
    ).rejects.toMatchObject({
      code: 'STELE_CONFIG',
    })
  })
})
