import { describe, expect, it } from 'vitest'
import { installWithResolvers } from '../../../core/polyfills.ts'

interface Resolvers<T> {
  promise: Promise<T>
  resolve(v: T): void
  reject(e: unknown): void
}
// The project's lib is ES2023, which does not declare the method.
const P = Promise as unknown as { withResolvers?: <T>(this: unknown) => Resolvers<T> }

describe('Promise.withResolvers (core/polyfills.ts, loaded by the test set-up)', () => {
  it('exists and settles its promise both ways', async () => {
    const ok = P.withResolvers?.<number>()
    ok?.resolve(7)
    await expect(ok?.promise).resolves.toBe(7)
    const bad = P.withResolvers?.<number>()
    bad?.reject(new Error('no'))
    await expect(bad?.promise).rejects.toThrow('no')
  })

  it('is installed over a missing one, keeping the subclass it is called on', () => {
    const native = Object.getOwnPropertyDescriptor(Promise, 'withResolvers')
    Reflect.deleteProperty(Promise, 'withResolvers')
    expect(P.withResolvers).toBeUndefined()
    try {
      installWithResolvers()
      class Sub<T> extends Promise<T> {}
      expect(P.withResolvers?.call(Sub).promise).toBeInstanceOf(Sub)
    } finally {
      if (native) Object.defineProperty(Promise, 'withResolvers', native)
    }
  })
})
