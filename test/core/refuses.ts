import { expect } from 'vitest'
import { isSteleError } from '../../core/errors.ts'

/** Runs `fn`; true when it returned, false when it threw STELE_BAD_ENCODING; rethrows anything else. */
export function decodesOrRefuses(fn: () => unknown): boolean {
  try {
    fn()
    return true
  } catch (e) {
    if (isSteleError(e, 'STELE_BAD_ENCODING')) return false
    throw e
  }
}

/** Expects `fn` to throw STELE_BAD_ENCODING, with a message matching `message` when given. */
export function refuses(fn: () => unknown, message?: RegExp): void {
  let thrown: unknown
  try {
    fn()
  } catch (e) {
    thrown = e
  }
  expect(
    isSteleError(thrown, 'STELE_BAD_ENCODING'),
    `expected STELE_BAD_ENCODING, got ${String(thrown)}`,
  ).toBe(true)
  if (message) expect((thrown as Error).message).toMatch(message)
}
