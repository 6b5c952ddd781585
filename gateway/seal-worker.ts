/** The seal worker thread (see gateway/sealer.ts): seals each group it is sent and answers with the results. */
import { parentPort, workerData } from 'node:worker_threads'
import { type SealJob, sealJobs } from './sealer.ts'

const key = workerData as { publicKey: Uint8Array; secretKey: Uint8Array }

parentPort?.on('message', (m: { id: number; chainId: string; prevHash: Uint8Array; jobs: SealJob[] }) => {
  try {
    parentPort?.postMessage({ id: m.id, sealed: sealJobs(key, m.chainId, m.prevHash, m.jobs) })
  } catch (err) {
    parentPort?.postMessage({ id: m.id, error: String(err) })
  }
})
// Loaded: the sealer sends groups here from now on (it sealed them on its own thread until this).
parentPort?.postMessage({ ready: true })
