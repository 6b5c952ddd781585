import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export interface LoadResult {
  p50: number
  p99: number
  /** Requests per second actually served (2xx). */
  rate: number
  errors: number
}

/**
 * Runs autocannon in its own process (the server under test keeps this process's event loop to itself) against
 * `url`; `rate` caps the overall request rate (a fixed offered load), without it as fast as it goes.
 */
export function autocannon(
  url: string,
  opts: { seconds: number; connections?: number; rate?: number },
): Promise<LoadResult> {
  const bin = require.resolve('autocannon/autocannon.js')
  const args = [bin, '-c', String(opts.connections ?? 10), '-d', String(opts.seconds), '--json']
  if (opts.rate) args.push('-R', String(opts.rate))
  args.push(url)
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err)
      const j = JSON.parse(stdout) as {
        latency: { p50: number; p99: number }
        requests: { average: number }
        duration: number
        '2xx': number
        non2xx: number
        errors: number
        timeouts: number
      }
      resolve({
        p50: j.latency.p50,
        p99: j.latency.p99,
        rate: j['2xx'] / j.duration,
        errors: j.non2xx + j.errors + j.timeouts,
      })
    })
  })
}
