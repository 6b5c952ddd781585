import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * A worker thread running a TypeScript module through tsx, like the rest of the project (no build step). A worker's
 * entry is not loaded through hooks registered by `--import`, so the thread registers them itself before importing
 * its module.
 */
export function tsWorker(entry: URL, opts: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const api = import.meta.resolve('tsx/esm/api')
  return new Worker(
    `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}) })`,
    { ...opts, eval: true },
  )
}
