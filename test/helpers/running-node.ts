import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll } from 'vitest'
import { type RunningNode, runNode } from '../../cli/run-node.ts'
import { tempDir } from './tmp.ts'

/**
 * A node served over HTTP as `stele node` runs it (runNode: 50 ms blocks, silent, an ephemeral port on loopback),
 * its data in `<dir>/data` of a temp folder; started before the file's tests and closed after them.
 */
export function useRunningNode(prefix: string): { readonly dir: string; readonly url: string } {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined
  let running: RunningNode | undefined
  beforeAll(async () => {
    dir = await tempDir(prefix)
    running = await runNode({
      data: join(dir.path, 'data'),
      host: '127.0.0.1',
      port: 0,
      blockIntervalMs: 50,
      logger: pino({ level: 'silent' }),
    })
  })
  afterAll(async () => {
    await running?.close()
    await dir?.cleanup()
  })
  return {
    get dir() {
      return dir!.path
    },
    get url() {
      return running!.url
    },
  }
}
