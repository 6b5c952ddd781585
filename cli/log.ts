import pino, { type Logger } from 'pino'
import { prettyFactory } from 'pino-pretty'

export interface LoggerOptions {
  /** JSON lines even on a terminal (the global `--json` flag). */
  json?: boolean
  /** Where lines go; stdout by default. Its `isTTY` picks the format. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean }
}

/**
 * One line per event on a terminal (`[time] LEVEL: msg {context}`), JSON lines otherwise or with `--json`, for
 * log shippers and tests. STELE_LOG sets the level; NO_COLOR turns colours off.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = process.env['STELE_LOG'] ?? 'info'
  const tty = (opts.stream ?? process.stdout).isTTY === true
  if (opts.json || !tty)
    return opts.stream ? pino({ level, base: null }, opts.stream) : pino({ level, base: null })
  // prettyFactory, not the pretty() stream: that stream re-adds pino's errorKey to the multi-line error keys.
  const format = prettyFactory({
    singleLine: true,
    colorize: !process.env['NO_COLOR'],
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname',
    // Errors stay in the context object (stack escaped) instead of a multi-line block after the line.
    errorLikeObjectKeys: [],
    // A message with a line break would still start a second line.
    messageFormat: (log, key) => String(log[key] ?? '').replaceAll('\n', '\\n'),
  })
  const out = opts.stream ?? process.stdout
  return pino({ level, base: null }, { write: (line: string) => void out.write(format(line)) })
}
