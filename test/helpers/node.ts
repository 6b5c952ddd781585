import { toHex } from '../../core/bytes.ts'
import { silentLogger } from '../../core/logger.ts'
import { SteleNode } from '../../node/node.ts'
import { BatchMaker } from './batches.ts'
import { tempDir } from './tmp.ts'

/** A real node on real LevelDB in a temp folder, with one registered gateway. */
export async function nodeFixture(opts: { blockIntervalMs?: number; now?: () => number } = {}) {
  const dir = await tempDir('stele-node-')
  const node = await SteleNode.open({
    dataDir: dir.path,
    logger: silentLogger,
    blockIntervalMs: opts.blockIntervalMs ?? 60_000,
    ...(opts.now ? { now: opts.now } : {}),
  })
  const gw = new BatchMaker(node.genesis.chainId)
  await node.registerGateway(toHex(gw.key.publicKey), 'test gateway')
  return {
    node,
    gw,
    dir,
    async reopen() {
      await node.close()
      return SteleNode.open({
        dataDir: dir.path,
        logger: silentLogger,
        blockIntervalMs: opts.blockIntervalMs ?? 60_000,
      })
    },
    async close() {
      await node.close().catch(() => undefined)
      await dir.cleanup()
    },
  }
}
