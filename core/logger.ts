/** The logging surface every part takes; pino's Logger satisfies it, and tests pass a silent one. */
export interface Logger {
  info(obj: object | string, msg?: string): void
  warn(obj: object | string, msg?: string): void
  error(obj: object | string, msg?: string): void
  debug(obj: object | string, msg?: string): void
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} }
