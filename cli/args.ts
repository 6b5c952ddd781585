import { parseArgs } from 'node:util'
import { SteleError } from '../core/errors.ts'

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  default?: string | boolean
  description: string
  /** A string flag that may be given several times (read with listOption). */
  multiple?: boolean
}

export interface CommandSpec {
  name: string
  summary: string
  usage: string
  options: { [name: string]: OptionSpec }
}

/** Flags every command takes; a command may give one its own meaning (verify's --json prints the result as JSON). */
const GLOBAL_OPTIONS: { [name: string]: OptionSpec } = {
  json: { type: 'boolean', description: 'log JSON lines even on a terminal' },
}

/** The command's own options, then the global ones it does not define itself. */
function allOptions(spec: CommandSpec): { [name: string]: OptionSpec } {
  const globals = Object.entries(GLOBAL_OPTIONS).filter(([name]) => !(name in spec.options))
  return { ...spec.options, ...Object.fromEntries(globals) }
}

export function helpText(spec: CommandSpec): string {
  const lines = [`${spec.summary}`, '', `Usage: ${spec.usage}`, '', 'Options:']
  const entries = Object.entries({
    ...allOptions(spec),
    help: { type: 'boolean', short: 'h', description: 'show this help' } as OptionSpec,
  })
  for (const [name, o] of entries) {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' <value>' : ''}`
    const def = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : ''
    lines.push(`  ${flag.padEnd(30)} ${o.description}${def}`)
  }
  return lines.join('\n')
}

export type Parsed = {
  values: { [k: string]: string | boolean | string[] | undefined }
  positionals: string[]
}

/** Parses a command's flags; unknown flags are a clear error naming the command's --help. */
export function parse(spec: CommandSpec, argv: string[]): Parsed | 'help' {
  const options: {
    [k: string]: {
      type: 'string' | 'boolean'
      short?: string
      default?: string | boolean
      multiple?: boolean
    }
  } = {
    help: { type: 'boolean', short: 'h' },
  }
  for (const [name, o] of Object.entries(allOptions(spec))) {
    options[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
      ...(o.default !== undefined ? { default: o.default } : {}),
    }
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
    if (values.help) return 'help'
    return { values: values as Parsed['values'], positionals }
  } catch (e) {
    throw new SteleError('STELE_CONFIG', `${(e as Error).message}; see 'stele ${spec.name} --help'`)
  }
}

export function intOption(p: Parsed, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = p.values[name]
  const n = Number(raw)
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < min || n > max)
    throw new SteleError(
      'STELE_CONFIG',
      `--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    )
  return n
}

export function strOption(p: Parsed, name: string): string | undefined {
  const v = p.values[name]
  return typeof v === 'string' ? v : undefined
}

/** Every value of a flag given several times (OptionSpec.multiple), in order. */
export function listOption(p: Parsed, name: string): string[] {
  const v = p.values[name]
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : []
}
