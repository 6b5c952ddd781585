import type { Writable } from 'node:stream'

/**
 * Counts bytes through a transfer and writes `<bytes> at <MB/s>` to `err` at most every `everyMs` (and a last line
 * at the end), so long transfers show progress on standard error and short ones stay quiet.
 */
export async function* withProgress(
  source: AsyncIterable<Uint8Array>,
  label: string,
  err: Writable | undefined,
  now: () => number = () => performance.now(),
  everyMs = 1000,
): AsyncGenerator<Uint8Array> {
  const start = now()
  let last = start
  let bytes = 0
  const line = (t: number) =>
    `${label}: ${(bytes / 2 ** 20).toFixed(1)} MiB at ${(bytes / 2 ** 20 / Math.max((t - start) / 1000, 1e-3)).toFixed(1)} MiB/s`
  for await (const chunk of source) {
    bytes += chunk.length
    yield chunk
    const t = now()
    if (err && t - last >= everyMs) {
      err.write(`\r${line(t)}`)
      last = t
    }
  }
  if (err && last !== start) err.write(`\r${line(now())}\n`)
}

/** An async iterable as a fetch request body (Node streams it with `duplex: 'half'`). */
export function requestBody(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]()
  return new ReadableStream({
    async pull(controller) {
      const r = await it.next()
      if (r.done) controller.close()
      else controller.enqueue(r.value)
    },
    async cancel() {
      await it.return?.()
    },
  })
}
