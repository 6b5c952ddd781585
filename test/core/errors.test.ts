import { describe, expect, it } from 'vitest'
import { ERROR_CODES, type ErrorCode, isSteleError, SteleError } from '../../core/errors.ts'

const CODES = Object.keys(ERROR_CODES) as ErrorCode[]

describe('SteleError', () => {
  it('carries code, message, name, status and cause', () => {
    const cause = new RangeError('inner')
    const e = new SteleError('STELE_BATCH_GAP', 'send batch 4 first', { cause, details: { expectedSeq: 4 } })
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('SteleError')
    expect(e.code).toBe('STELE_BATCH_GAP')
    expect(e.message).toBe('send batch 4 first')
    expect(e.status).toBe(409)
    expect(e.cause).toBe(cause)
    expect(e.details).toEqual({ expectedSeq: 4 })
    expect(String(e)).toBe('SteleError: send batch 4 first')
  })

  it('serialises to { code, message } and adds details only when given', () => {
    expect(new SteleError('STELE_NOT_FOUND', 'no reading with id ab').toJSON()).toStrictEqual({
      code: 'STELE_NOT_FOUND',
      message: 'no reading with id ab',
    })
    const withDetails = new SteleError('STELE_BATCH_GAP', 'gap', { details: { expectedSeq: 2 } })
    expect(JSON.parse(JSON.stringify(withDetails))).toStrictEqual({
      code: 'STELE_BATCH_GAP',
      message: 'gap',
      details: { expectedSeq: 2 },
    })
    const noCause = new SteleError('STELE_INTERNAL', 'x')
    expect('cause' in noCause).toBe(false)
  })

  it('every code is STELE_-prefixed with a 4xx or 5xx status and a one-line meaning', () => {
    expect(CODES.length).toBeGreaterThan(10)
    for (const code of CODES) {
      const { status, meaning } = ERROR_CODES[code]
      expect(code).toMatch(/^STELE_[A-Z_]+$/)
      expect(Number.isInteger(status) && status >= 400 && status < 600, code).toBe(true)
      expect(meaning.length, code).toBeGreaterThan(10)
      expect(meaning, code).not.toContain('\n')
      expect(new SteleError(code, 'm').status).toBe(status)
    }
    expect(ERROR_CODES.STELE_BAD_ENCODING.status).toBe(400)
    expect(ERROR_CODES.STELE_PROOF_INVALID.status).toBe(422)
  })

  it('isSteleError matches by class and, when asked, by code', () => {
    const e = new SteleError('STELE_BAD_ENCODING', 'x')
    expect(isSteleError(e)).toBe(true)
    expect(isSteleError(e, 'STELE_BAD_ENCODING')).toBe(true)
    expect(isSteleError(e, 'STELE_NOT_FOUND')).toBe(false)
    const lookalike = Object.assign(new Error('x'), { code: 'STELE_BAD_ENCODING' })
    expect(isSteleError(lookalike)).toBe(false)
    expect(isSteleError(undefined)).toBe(false)
  })
})
