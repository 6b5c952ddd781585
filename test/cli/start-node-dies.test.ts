import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { spawnStele, startArgs, waitForNode } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'

const DYING = fileURLToPath(new URL('./fixtures/node-worker-dies-on-progress.ts', import.meta.url))

describe('stele start: the node thread dies', () => {
  it('stops everything and exits with code 1, saying why', async () => {
    const dir = await tempDir('stele-start-dies-')
    const p = spawnStele(startArgs(dir.path), { STELE_TEST_NODE_WORKER: DYING })
    try {
      // Running first (the node served), then the thread dies: nothing goes on half alive.
      await waitForNode(p, 45_000)
      const failed = await p.waitFor(
        (l) => l['msg'] === 'the node thread failed; stopping everything',
        'the node thread failure reported',
        45_000,
      )
      expect((failed['err'] as { message?: string }).message).toMatch(/node thread bug/)
      expect(await p.exited).toBe(1)
    } finally {
      await p.kill('SIGKILL')
      await dir.cleanup()
    }
  }, 120_000)
})
