import { expect } from 'vitest'
import type { CheckName, ProofResult } from '../../core/verify-proof.ts'

/** The checks of a reading proof, in the order docs/protocol.md runs them. */
export const ORDER: CheckName[] = [
  'bundle.format',
  'genesis.trusted',
  'record.decode',
  'batch.decode',
  'record.gateway',
  'record.inclusion',
  'batch.signature',
  'block.decode',
  'tx.inclusion',
  'block.producer',
  'block.signature',
]

/** Asserts a failure at `expected` (one of), with every earlier check passed and none run after it. */
export function failsAt(r: ProofResult, expected: readonly CheckName[], what: string): CheckName {
  expect(r.ok, `${what}: should fail`).toBe(false)
  const last = r.checks[r.checks.length - 1]!
  expect(last.ok, what).toBe(false)
  expect(expected, `${what}: failed at ${last.name} (${last.message})`).toContain(last.name)
  expect(r.checks.slice(0, -1).every((c) => c.ok)).toBe(true)
  expect(r.checks.map((c) => c.name)).toEqual(ORDER.slice(0, r.checks.length))
  expect(r.error).toBe(`${last.name}: ${last.message}`)
  return last.name
}
