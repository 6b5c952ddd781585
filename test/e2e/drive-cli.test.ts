import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { accountCommand } from '../../cli/commands/account.ts'
import { driveCommand } from '../../cli/commands/drive.ts'
import { faucetCommand } from '../../cli/commands/faucet.ts'
import { kuboRandom } from '../helpers/kubo-random.ts'
import { useRunningNode } from '../helpers/running-node.ts'

const served = useRunningNode('stele-e2e-drive-cli-')

async function drive(...argv: string[]): Promise<string> {
  const lines: string[] = []
  expect(
    await driveCommand([...argv, '--node', served.url, '--key', join(served.dir, 'w.key'), '-q'], (s) =>
      lines.push(s),
    ),
  ).toBe(0)
  return lines.join('\n')
}

describe('stele drive against a real node', () => {
  it('creates a drive, puts a local file and a CID, lists, shows, removes and closes it', async () => {
    const key = join(served.dir, 'w.key')
    const me = JSON.parse(
      await (async () => {
        const l: string[] = []
        await accountCommand(['new', '--key', key, '--json'], (s) => l.push(s))
        return l.join('')
      })(),
    ).account
    await faucetCommand(['--key', key, '--node', served.url], () => {})

    const created = await drive('create', '--capacity', '2000000', '--duration', '500', '--price', '0.001')
    const m = /^drive ([0-9a-f]{64}) created in block (\d+) \(([0-9a-f]{64})\)\ntransaction \1$/.exec(created)
    expect(m, created).not.toBeNull()
    const id = m![1]!
    const d0 = await (await fetch(`${served.url}/v1/drives/${id}`)).json()
    expect(d0).toMatchObject({ owner: me, period: 10, replicas: 1, capacity: 2_000_000, duration: 500 })

    const file = Buffer.concat([...kuboRandom(300_000, 'stele-drive-cli')])
    await writeFile(join(served.dir, 'still.jpg'), file)
    expect(await drive('put', id, join(served.dir, 'still.jpg'))).toMatch(
      /^still\.jpg → (\S+) put in block \d+/,
    )
    const small = await fetch(`${served.url}/v1/storage/files`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: 'hello drive',
    })
    const cid = ((await small.json()) as { cid: string }).cid
    await drive('put', id, cid, '--name', 'hello.txt')

    expect(await drive('ls')).toContain(`${id}  active`)
    const status = await drive('status', id)
    expect(status).toContain(`drive ${id}  active`)
    expect(status).toMatch(/capacity 300011\/2000000 bytes/)
    expect(status).toContain(`file hello.txt  ${cid}  11 bytes`)
    expect(status).toMatch(/file still\.jpg {2}bafy\S+ {2}300000 bytes/)
    expect(status).toMatch(/replicator [0-9a-f]{64} {2}passed \d+, failed 0, missed \d+/)

    // A CID the node does not hold is refused before anything is signed into a block.
    await expect(
      drive('put', id, 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'),
    ).rejects.toMatchObject({ code: 'STELE_NOT_FOUND' })

    await drive('rm', id, 'hello.txt')
    expect(await drive('status', id)).not.toContain('hello.txt')
    const closed = JSON.parse(await drive('close', id, '--json'))
    expect(closed).toMatchObject({
      height: expect.any(Number),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
    expect((await (await fetch(`${served.url}/v1/drives/${id}`)).json()).status).toBe('closed')
  })
})
