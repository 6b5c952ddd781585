import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { storageCommand } from '../../../cli/commands/storage.ts'
import { buildApp } from '../../../node/api/app.ts'
import { kuboRandom } from '../../helpers/kubo-random.ts'
import { nodeFixture } from '../../helpers/node.ts'
import { tempDir } from '../../helpers/tmp.ts'

let fx: Awaited<ReturnType<typeof nodeFixture>>
let app: FastifyInstance
let url: string
let dir: Awaited<ReturnType<typeof tempDir>>
const file = Buffer.concat([...kuboRandom(700_000, 'stele-cli')])

beforeAll(async () => {
  fx = await nodeFixture()
  app = await buildApp({ node: fx.node, logger: false })
  url = await app.listen({ host: '127.0.0.1', port: 0 })
  dir = await tempDir()
  await writeFile(join(dir.path, 'plain.bin'), file)
})
afterAll(async () => {
  await app.close()
  await fx.close()
  await dir.cleanup()
})

async function run(...argv: string[]): Promise<string[]> {
  const lines: string[] = []
  expect(await storageCommand([...argv, '--node', url, '--quiet'], (s) => lines.push(s))).toBe(0)
  return lines
}

describe('stele storage', () => {
  it('add then get returns the same bytes; stat, ls and export see the file', async () => {
    const [added] = await run('add', join(dir.path, 'plain.bin'))
    const cid = added!.split(' ')[0]!
    await run('get', cid, '-o', join(dir.path, 'back.bin'))
    expect(Buffer.compare(await readFile(join(dir.path, 'back.bin')), file)).toBe(0)
    expect(JSON.parse((await run('stat', cid)).join('\n'))).toMatchObject({ cid, size: file.length })
    expect((await run('ls')).some((l) => l.startsWith(cid))).toBe(true)
    await run('export', cid, '-o', join(dir.path, 'f.car'))
    expect((await run('import', join(dir.path, 'f.car')))[0]).toContain(cid)
  })

  it('--encrypt stores only ciphertext under its own CID; --decrypt with the key file gives the plaintext back', async () => {
    const keyFile = join(dir.path, 'k.key')
    const lines = await run('add', join(dir.path, 'plain.bin'), '--encrypt', '--key', keyFile)
    const cid = lines.at(-1)!.split(' ')[0]!
    const stored = Buffer.from(await (await fetch(`${url}/v1/storage/files/${cid}`)).arrayBuffer())
    expect(stored.includes(file.subarray(1000, 1064))).toBe(false)
    expect(stored.length).toBeGreaterThan(file.length)
    await run('get', cid, '-o', join(dir.path, 'opened.bin'), '--decrypt', keyFile)
    expect(Buffer.compare(await readFile(join(dir.path, 'opened.bin')), file)).toBe(0)
    // Another key does not open it.
    await writeFile(
      join(dir.path, 'other.key'),
      JSON.stringify({ key: Buffer.alloc(32, 1).toString('base64') }),
    )
    await expect(
      storageCommand(
        [
          'get',
          cid,
          '-o',
          join(dir.path, 'x.bin'),
          '--decrypt',
          join(dir.path, 'other.key'),
          '--node',
          url,
          '-q',
        ],
        () => {},
      ),
    ).rejects.toMatchObject({ code: 'STELE_BAD_ENCODING' })
  })
})
