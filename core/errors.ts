import { ERROR_CODES, type ErrorCode } from './error-codes.ts'

export { ERROR_CODES, type ErrorCode }

/** The one error base: a stable code a caller can match on, a message that says what to do, optional details. */
export class SteleError extends Error {
  override readonly name = 'SteleError'
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(
    code: ErrorCode,
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.details = opts.details
  }

  get status(): number {
    return ERROR_CODES[this.code].status
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message }
  }
}

export function isSteleError(e: unknown, code?: ErrorCode): e is SteleError {
  return e instanceof SteleError && (code === undefined || e.code === code)
}
