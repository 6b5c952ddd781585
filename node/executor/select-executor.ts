import { concatBytes } from '../../core/bytes.ts'
import { sha256 } from '../../core/hash.ts'

/**
 * The executor of a contract for a block (docs/contracts.md §8, executors and selection): among the registered
 * executors (hex keys), or the genesis authority while none is registered, the one SHA-256(block hash ‖ contract
 * id) picks.
 */
export function selectExecutor(
  executors: ReadonlySet<string>,
  authority: string,
  blockHash: Uint8Array,
  contract: Uint8Array,
): string {
  const list = executors.size > 0 ? [...executors].sort() : [authority]
  const h = sha256(concatBytes(blockHash, contract))
  const n = new DataView(h.buffer, h.byteOffset, 4).getUint32(0)
  return list[n % list.length]!
}
