// Stele's all-in-one deployment (`stele start`) in the bench's process: the node in its own thread or in this one.
import { join } from 'node:path'
import pino from 'pino'
import { type StartNodeInit, startLocalNode } from '../../cli/commands/start-node.ts'
import { spawnNodeThread } from '../../cli/commands/start-node-thread.ts'
import { toHex } from '../../core/bytes.ts'
import { silentLogger } from '../../core/logger.ts'
import { MqttConnector } from '../../gateway/connectors/mqtt/mqtt-connector.ts'
import { createGateway } from '../../gateway/gateway.ts'
import { loadOrCreateGatewayKey } from '../../gateway/keys.ts'
import { tempDir } from '../../test/helpers/tmp.ts'
import { type E2eConfig, type Load, measure, type Phase } from './e2e-measure.ts'
import { threadTicks, usPer } from './thread-ticks.ts'

/**
 * `stele start`'s deployment on the bench's embedded broker (`load.url`): the node opened by the same code as
 * `stele start` (cli/commands/start-node.ts; its HTTP API listening, no MQTT republish, no sample contract), in its
 * own thread when `nodeThread`, and the gateway in this thread; the fleet outside. Timed until every reading is
 * accepted by the node and in a block (after the warm-up, `measure`), with the CPU per reading of this process's main
 * thread and other threads.
 */
export async function allInOnePhase(
  cfg: E2eConfig,
  load: Load,
  id: string,
  nodeThread: boolean,
): Promise<Phase> {
  const dir = await tempDir('stele-bench-e2e-')
  // The key first, as stele start makes it: the node registers the gateway when it opens.
  const key = await loadOrCreateGatewayKey({ dataDir: join(dir.path, 'gateway'), logger: silentLogger })
  const init: StartNodeInit = {
    data: dir.path,
    host: '127.0.0.1',
    port: 0,
    blockIntervalMs: 1000,
    gateway: toHex(key.publicKey),
    recordsPerSecPerGateway: 1e9,
  }
  const node = nodeThread
    ? await spawnNodeThread({ log: 'silent' }).open(init)
    : await startLocalNode(init, undefined, pino({ level: 'silent' }))
  const gw = await createGateway({
    dataDir: join(dir.path, 'gateway'),
    node: node.api,
    chainId: (await node.api.info()).chainId,
    logger: silentLogger,
    // STELE_BENCH_SEAL_WORKER=0 seals on the main thread, for an A/B of the seal worker
    batch: { sealWorker: process.env.STELE_BENCH_SEAL_WORKER !== '0' },
  })
  try {
    await gw.start()
    await gw.addConnector(
      new MqttConnector({ url: load.url, sink: gw.sink, clientId: `bench-gateway-${id}` }),
    )
    let before = threadTicks()
    return await measure(cfg, load, {
      count: async () => (await node.progress()).records,
      settle: () => node.produce(), // the rest of the readings confirmed in a block
      onStart: () => {
        before = threadTicks()
      },
      onEnd: (phase) => {
        const after = threadTicks()
        phase.cpu = {
          main: usPer(after.main - before.main, phase.readings),
          other: usPer(after.other - before.other, phase.readings),
        }
      },
    })
  } finally {
    await gw.stop()
    await node.close()
    await dir.cleanup()
  }
}
