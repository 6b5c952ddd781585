import pino, { type Logger } from 'pino'
import pretty from 'pino-pretty'

/** Readable lines on a terminal, JSON lines otherwise (for log shippers and tests); STELE_LOG sets the level. */
export function createLogger(opts: { json?: boolean } = {}): Logger {
  const level = process.env['STELE_LOG'] ?? 'info'
  if (opts.json || !process.stdout.isTTY) return pino({ level, base: null })
  return pino(
    { level, base: null },
    pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', sync: true }),
  )
}
