import { readFile } from 'node:fs/promises'
import { SteleError } from '../../core/errors.ts'
import { checkContract } from '../../node/executor/check-contract.ts'
import type { ContractState } from '../../node/executor/hashes.ts'
import { type ContractReading, replayReadings } from '../../node/executor/run-readings.ts'
import { intOption, parse, strOption } from '../args.ts'
import { contractChainCommand } from './contract-chain.ts'
import { contractSpec } from './contract-spec.ts'

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    throw new SteleError('STELE_CONFIG', `cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e })
  }
}

/** Parses the readings file: one JSON object a line; `time` in epoch ms or ISO 8601. */
export function parseReadings(text: string, file: string): ContractReading[] {
  const out: ContractReading[] = []
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue
    const where = `${file}:${i + 1}`
    let r: Record<string, unknown>
    try {
      r = JSON.parse(line) as Record<string, unknown>
    } catch (e) {
      throw new SteleError('STELE_CONFIG', `${where}: not JSON: ${(e as Error).message}`)
    }
    const time = typeof r['time'] === 'string' ? Date.parse(r['time']) : r['time']
    if (typeof r['device'] !== 'string' || typeof r['sensor'] !== 'string' || typeof r['value'] !== 'number')
      throw new SteleError(
        'STELE_CONFIG',
        `${where}: a reading needs device, sensor (strings) and value (number)`,
      )
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0)
      throw new SteleError('STELE_CONFIG', `${where}: time must be epoch milliseconds or ISO 8601`)
    out.push({ ...(r as ContractReading), time })
  }
  return out
}

export async function contractCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(contractSpec, argv)
  if (p === 'help') return -1
  const [sub, file] = p.positionals
  if (sub !== undefined && sub !== 'test') return contractChainCommand(sub, p, out)
  if (sub !== 'test' || !file)
    throw new SteleError(
      'STELE_CONFIG',
      "usage: stele contract test <file.js> --readings <file> (see 'stele contract --help')",
    )
  const readingsFile = strOption(p, 'readings')
  if (!readingsFile) throw new SteleError('STELE_CONFIG', 'name the readings: --readings <sample.ndjson>')
  const code = await readText(file, 'contract')
  const info = await checkContract(code)
  const readings = parseReadings(await readText(readingsFile, 'readings'), readingsFile)
  const stateFile = strOption(p, 'state')
  const state = stateFile ? (JSON.parse(await readText(stateFile, 'state')) as ContractState) : {}
  const gasLimit = p.values['gas'] === undefined ? undefined : intOption(p, 'gas', 1)
  const replay = await replayReadings(code, readings, {
    state,
    ...(gasLimit === undefined ? {} : { gasLimit }),
  })

  if (p.values['json']) {
    out(
      JSON.stringify(
        {
          exports: info.exports,
          runs: replay.steps.map((s) => ({
            reading: s.reading,
            status: s.result.status,
            message: s.result.message,
            output: s.result.output,
            gasUsed: s.result.gasUsed,
          })),
          events: replay.events,
          state: replay.state,
          gasUsed: replay.gasUsed,
          failures: replay.failures,
        },
        null,
        2,
      ),
    )
    return replay.failures > 0 ? 1 : 0
  }
  out(`contract ${file}: exports ${info.exports.join(', ')}; ${readings.length} readings`)
  for (const [i, s] of replay.steps.entries()) {
    const r = s.reading
    const head = `#${String(i).padEnd(4)} ${new Date(r.time).toISOString()} ${r.device}/${r.sensor}=${r.value}`
    const status = s.result.status === 'ok' ? '' : `  ${s.result.status.toUpperCase()}: ${s.result.message}`
    out(`${head}  gas ${s.result.gasUsed}${status}`)
    for (const e of s.result.events) out(`      event ${e.name} ${JSON.stringify(e.data)}`)
  }
  out(`\nevents: ${replay.events.length}`)
  out(`final state: ${JSON.stringify(replay.state, null, 2)}`)
  out(`gas: ${replay.gasUsed} in ${readings.length} runs; failed runs: ${replay.failures}`)
  return replay.failures > 0 ? 1 : 0
}
