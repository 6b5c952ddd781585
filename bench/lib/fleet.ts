// The parent's side of bench/lib/fleet-process.ts: fork the fleet, wait until every device is connected, then time.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FleetMessage, FleetReport, FleetSpec } from './fleet-process.ts'

export type { FleetReport, FleetSpec }

const SCRIPT = fileURLToPath(new URL('./fleet-process.ts', import.meta.url))

export interface FleetProcess {
  /** Starts publishing; resolves with the fleet's report once every message is acknowledged. */
  go(): Promise<FleetReport>
  stop(): Promise<void>
}

/** Forks the fleet and resolves once all its devices are connected to the broker. */
export async function startFleetProcess(spec: FleetSpec): Promise<FleetProcess> {
  const child = fork(SCRIPT, [JSON.stringify(spec)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const next = (type: FleetMessage['type']) =>
    new Promise<FleetMessage>((resolve, reject) => {
      const onMessage = (m: FleetMessage) => {
        if (m.type !== type) return
        child.off('message', onMessage)
        resolve(m)
      }
      child.on('message', onMessage)
      void exited.then(() => reject(new Error(`fleet process exited before '${type}'`)))
    })
  await next('ready')
  return {
    async go() {
      const done = next('done')
      child.send({ type: 'go' })
      return ((await done) as { report: FleetReport }).report
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ type: 'stop' })
        const t = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(t)
      }
    },
  }
}
