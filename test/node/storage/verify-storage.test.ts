import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyCommand } from '../../../cli/commands/verify.ts'
import { STORAGE_PROOF_FORMAT, type StorageProofJson } from '../../../core/storage-proof.ts'
import { buildApp } from '../../../node/api/app.ts'
import { CHUNK_SIZE } from '../../../node/storage/unixfs-options.ts'
import { kuboRandom } from '../../helpers/kubo-random.ts'
import { nodeFixture } from '../../helpers/node.ts'
import { tempDir } from '../../helpers/tmp.ts'

const SIZE = 2 * CHUNK_SIZE + 77
const file = Buffer.concat([...kuboRandom(SIZE, 'stele-verify')])
let fx: Awaited<ReturnType<typeof nodeFixture>>
let app: FastifyInstance
let dir: Awaited<ReturnType<typeof tempDir>>
let proof: StorageProofJson

beforeAll(async () => {
  fx = await nodeFixture()
  dir = await tempDir('stele-verify-storage-')
  app = await buildApp({ node: fx.node, logger: false })
  const added = await app.inject({
    method: 'POST',
    url: '/v1/storage/files',
    headers: { 'content-type': 'application/octet-stream' },
    payload: file,
  })
  proof = (
    await app.inject({ url: `/v1/storage/files/${added.json().cid}/proof?offset=${CHUNK_SIZE + 5}` })
  ).json()
})
afterAll(async () => {
  await app.close()
  await fx.close()
  await dir.cleanup()
})

/** The bundle with one bit of byte `at` flipped in its leaf or its root node. */
function flipped(field: 'leaf' | 'node', at: number): StorageProofJson {
  const b = Buffer.from(field === 'leaf' ? proof.leaf : proof.nodes[0]!, 'base64')
  b[at]! ^= 1
  return field === 'leaf'
    ? { ...proof, leaf: b.toString('base64') }
    : { ...proof, nodes: [b.toString('base64'), ...proof.nodes.slice(1)] }
}

const post = (body: unknown) => app.inject({ method: 'POST', url: '/v1/verify', payload: body as object })

async function cli(bundle: unknown): Promise<{ code: number; out: string[] }> {
  const path = join(dir.path, 'proof.json')
  await writeFile(path, JSON.stringify(bundle))
  const out: string[] = []
  return { code: await verifyCommand([path], (s) => out.push(s)), out }
}

describe('storage proofs in POST /v1/verify and stele verify', () => {
  it('the proof route serves a bundle of its own format that verifies, each check named', async () => {
    expect(proof.format).toBe(STORAGE_PROOF_FORMAT)
    const r = await post(proof)
    expect(r.statusCode, r.payload).toBe(200)
    expect(r.json().checks.map((c: { name: string }) => c.name)).toEqual([
      'bundle.format',
      'root.cid',
      'node.hash',
      'node.offset',
      'leaf.hash',
      'leaf.offset',
      'bundle.size',
    ])
    expect(r.json().storage).toMatchObject({ root: proof.root, offset: CHUNK_SIZE + 5, fileSize: SIZE })
    const c = await cli(proof)
    expect(c.code).toBe(0)
    expect(c.out[0]).toMatch(/^ok +bundle\.format/)
    expect(c.out.at(-1)).toMatch(new RegExp(`^\\nVALID: byte ${CHUNK_SIZE + 5} of ${proof.root}`))
  })

  it('a changed byte fails at a named check, over HTTP and in the CLI', async () => {
    const cases: [StorageProofJson, string][] = [
      [flipped('leaf', 5), 'leaf.hash'],
      [flipped('leaf', 0), 'leaf.hash'],
      [flipped('node', 10), 'node.hash'],
      [{ ...proof, fileSize: SIZE + 1 }, 'bundle.size'],
      [{ ...proof, leaf: `${proof.leaf}!` }, 'bundle.format'],
    ]
    for (const [bundle, check] of cases) {
      const r = await post(bundle)
      expect(r.statusCode, check).toBe(422)
      expect(r.json().error).toMatchObject({ code: 'STELE_PROOF_INVALID', details: { failedCheck: check } })
      const c = await cli(bundle)
      expect(c.code, check).toBe(1)
      expect(c.out.find((l) => l.startsWith('FAIL'))).toMatch(
        new RegExp(`^FAIL ${check.replace('.', '\\.')} `),
      )
      expect(c.out.at(-1)).toMatch(/^\nINVALID: /)
    }
  })
})
