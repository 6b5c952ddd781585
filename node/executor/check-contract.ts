import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { sha256 } from '../../core/hash.ts'
import { type Engine, sharedEngine } from './engine.ts'
import { DEFAULT_LIMITS, MAX_CODE_BYTES } from './limits.ts'
import { CONTRACT_FILE, executeContract } from './run-contract.ts'

/** What a deploy learns of a contract that loads. */
export interface ContractInfo {
  /** sha256 of the code's UTF-8, hex. */
  codeHash: string
  /** The module's function exports, sorted. */
  exports: string[]
  /** Gas the module's top-level code used when loaded. */
  loadGas: number
}

/** The handlers a contract may export for the node to call; any other export is a callable function. */
export const HANDLER_EXPORTS = ['onReading', 'onBlock'] as const

/**
 * The deploy check: the code must compile as an ES module (a syntax error is refused with its line and column),
 * load in the sandbox within the gas limit (no imports, no top-level throw or await) and export at least one
 * function. Throws STELE_CONTRACT_INVALID, with details.line and details.column when the compiler gave them.
 */
export async function checkContract(
  code: string,
  opts: { engine?: Engine; gasLimit?: number } = {},
): Promise<ContractInfo> {
  if (typeof code !== 'string' || Buffer.byteLength(code) > MAX_CODE_BYTES)
    throw new SteleError(
      'STELE_CONTRACT_INVALID',
      `contract code must be a string of at most ${MAX_CODE_BYTES} bytes`,
    )
  const engine = opts.engine ?? (await sharedEngine())
  compileOnly(engine, code)
  const r = executeContract(engine, {
    code,
    contractId: 'deploy-check',
    calls: [],
    state: {},
    blockTime: 0,
    seed: new Uint8Array(32),
    gasLimit: opts.gasLimit ?? DEFAULT_LIMITS.gasLimit,
  })
  if (r.status !== 'ok')
    throw new SteleError('STELE_CONTRACT_INVALID', `contract does not load: ${r.message}`, {
      details: { status: r.status },
    })
  if (r.exports.length === 0)
    throw new SteleError(
      'STELE_CONTRACT_INVALID',
      'contract exports no function (e.g. export function onReading)',
    )
  return { codeHash: toHex(sha256(new TextEncoder().encode(code))), exports: r.exports, loadGas: r.gasUsed }
}

/** Compiles without running anything; a syntax error becomes STELE_CONTRACT_INVALID with its position. */
function compileOnly(engine: Engine, code: string): void {
  const rt = engine.newRuntime()
  try {
    rt.setMemoryLimit(DEFAULT_LIMITS.memoryBytes)
    rt.setMaxStackSize(DEFAULT_LIMITS.stackBytes)
    const vm = rt.newContext()
    try {
      const r = vm.evalCode(code, CONTRACT_FILE, { type: 'module', compileOnly: true })
      if (!r.error) {
        r.value.dispose()
        return
      }
      const e = r.error.consume((h) => vm.dump(h)) as { name?: unknown; message?: unknown; stack?: unknown }
      const at = /contract\.js:(\d+):(\d+)/.exec(String(e.stack ?? ''))
      const line = at ? Number(at[1]) : undefined
      const column = at ? Number(at[2]) : undefined
      const where = line === undefined ? '' : ` at line ${line}, column ${column}`
      throw new SteleError('STELE_CONTRACT_INVALID', `${String(e.name)}${where}: ${String(e.message)}`, {
        details: { line, column, message: String(e.message) },
      })
    } finally {
      vm.dispose()
    }
  } finally {
    rt.dispose()
  }
}
