import { ERROR_CODES, type ErrorCode } from '../../core/error-codes.ts'

/** The one error body every route answers with (docs/errors.md); registered once, referenced as `SteleError#`. */
export const errorSchema = {
  $id: 'SteleError',
  type: 'object',
  description:
    'Every error: a stable code to match on (docs/errors.md), a message, and details for some codes.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const

const ref = { $ref: 'SteleError#' } as const

/**
 * Response schemas for the error statuses a route can answer, from the codes it can raise. Every route can also
 * answer 400 (a malformed request), 408/413/414/415/431 (transport limits) and 500.
 */
export function errorResponses(...codes: ErrorCode[]): Record<string, typeof ref> {
  const out: Record<string, typeof ref> = {}
  const common: ErrorCode[] = [
    'STELE_BAD_REQUEST',
    'STELE_REQUEST_TIMEOUT',
    'STELE_PAYLOAD_TOO_LARGE',
    'STELE_URI_TOO_LONG',
    'STELE_UNSUPPORTED_MEDIA_TYPE',
    'STELE_HEADERS_TOO_LARGE',
    'STELE_INTERNAL',
  ]
  for (const code of [...common, ...codes]) out[String(ERROR_CODES[code].status)] = ref
  return out
}
