import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { sha256 } from '../../core/hash.ts'
import { type Engine, sharedEngine } from './engine.ts'
import { DEFAULT_LIMITS, MAX_CODE_BYTES } from './limits.ts'
import { executeContract } from './run-contract.ts'

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
  const r = executeContract(engine, {
    code,
    contractId: 'deploy-check',
    calls: [],
    state: {},
    blockTime: 0,
    seed: new Uint8Array(32),
    gasLimit: opts.gasLimit ?? DEFAULT_LIMITS.gasLimit,
  })
  if (r.status !== 'ok') {
    // QuickJS's compile-only mode hands back a module record that must not be freed as a value, so a syntax
    // error is taken from the load itself, whose message ends with the position.
    const syntax = /^load: SyntaxError: (.*) \(contract\.js:(\d+):(\d+)\)$/.exec(r.message ?? '')
    if (syntax)
      throw new SteleError(
        'STELE_CONTRACT_INVALID',
        `SyntaxError at line ${syntax[2]}, column ${syntax[3]}: ${syntax[1]}`,
        { details: { line: Number(syntax[2]), column: Number(syntax[3]), message: syntax[1] } },
      )
    throw new SteleError('STELE_CONTRACT_INVALID', `contract does not load: ${r.message}`, {
      details: { status: r.status },
    })
  }
  if (r.exports.length === 0)
    throw new SteleError(
      'STELE_CONTRACT_INVALID',
      'contract exports no function (e.g. export function onReading)',
    )
  return { codeHash: toHex(sha256(new TextEncoder().encode(code))), exports: r.exports, loadGas: r.gasUsed }
}
