import type { Logger } from '../../../core/logger.ts'

export interface LogLine {
  level: 'info' | 'warn' | 'error' | 'debug'
  obj: object | string
  msg: string | undefined
}

/** A logger that keeps what it was told, so tests can check "logged once". */
export function captureLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = []
  const at =
    (level: LogLine['level']) =>
    (obj: object | string, msg?: string): void => {
      lines.push({ level, obj, msg })
    }
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') }
}
