import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../../core/error-codes.ts'
import { SteleError } from '../../../core/errors.ts'

describe('error codes', () => {
  it('each code is documented in docs/errors.md with its status', async () => {
    const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(doc, `${code} missing from docs/errors.md`).toMatch(
        new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`),
      )
    }
  })

  it('SteleError serialises to the HTTP error shape', () => {
    const e = new SteleError('STELE_BATCH_GAP', 'send batch 3 first', { details: { expectedSeq: 3 } })
    expect(e.status).toBe(409)
    expect(e.toJSON()).toEqual({
      code: 'STELE_BATCH_GAP',
      message: 'send batch 3 first',
      details: { expectedSeq: 3 },
    })
  })
})
