/**
 * Language features the engine lacks, installed before anything that needs them is loaded. Imported first by
 * the CLI entry (cli/main.ts) and by the test set-up (vitest.config.ts `setupFiles`).
 *
 * `Promise.withResolvers` (ES2024) is called by libp2p 3.x; Node 20 has no such method, Node 22 does. Remove this
 * module, and its two imports, when `engines.node` moves to Node 22.
 */
interface Resolvers<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

/** Installs `Promise.withResolvers` when the engine has none; a no-op on Node 22 and later. */
export function installWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> }
  if (typeof P.withResolvers === 'function') return
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve']
      let reject!: Resolvers<T>['reject']
      // `this` so a subclass (Promise.withResolvers.call(MyPromise)) gets its own kind, as the spec says.
      const promise = new this<T>((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    },
  })
}

installWithResolvers()
