import { until } from '../../helpers/wait.ts'
import { Cluster } from './cluster.ts'
import { type ScenarioResult, storedCount } from './scenario.ts'
import { checkSerialInvariants, drainBoards, SerialBoard } from './serial-boards.ts'

/**
 * Simulated line-protocol boards on real ptys against a spawned `stele gateway --serial` (so kill -9 is real):
 * `inject` breaks things while they sample; then the boards stop sampling, their rings drain through ACKs, every
 * acknowledged reading must reach the node, and the stopped node's data is checked.
 */
export async function runSerialScenario(
  dir: string,
  fault: string,
  opts: { boards: number; seed?: number },
  inject: (c: Cluster, boards: SerialBoard[]) => Promise<number>,
): Promise<ScenarioResult> {
  const boards = Array.from(
    { length: opts.boards },
    (_, i) => new SerialBoard(dir, `fault-board-${i + 1}`, (opts.seed ?? 1) * 100 + i),
  )
  let cluster: Cluster | undefined
  try {
    // Sampling starts once the gateway runs: a backlog from the start-up would only overflow the rings.
    for (const b of boards) b.board.pause()
    const paths = await Promise.all(boards.map((b) => b.plug.plug()))
    cluster = await Cluster.start(dir, { gatewayArgs: ['--serial', paths.join(',')] })
    for (const b of boards) b.board.resume()
    const times = await inject(cluster, boards)
    for (const b of boards) b.dropAcks = false
    await drainBoards(boards)
    const want = boards.reduce((n, b) => n + b.board.history.filter((f) => !f.lost).length * 3, 0)
    const c = cluster
    await until(async () => (await storedCount(c)) >= want, {
      what: 'every acknowledged board reading at the node',
      timeoutMs: 30_000,
      everyMs: 200,
    })
    await cluster.stop()
    return { fault, times, ...(await checkSerialInvariants(dir, boards)) }
  } finally {
    for (const b of boards) await b.stop()
    await cluster?.stop()
  }
}
