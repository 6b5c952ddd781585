import { fromHex, toHex } from '../../core/bytes.ts'
import { checkContract } from './check-contract.ts'
import { type ContractState, stateRoot } from './hashes.ts'

/** What the executor keeps between runs: the states it has seen and the code it has loaded. */

const MAX_STATES = 4096

/** Contract states by root (hex), the newest 4096 seen: a result's state before is looked up here to re-run it. */
export class KnownStates {
  private readonly states = new Map<string, string>()

  remember(state: string): void {
    const root = toHex(fromHex(stateRoot(JSON.parse(state) as ContractState), 'root', 32))
    this.states.delete(root)
    this.states.set(root, state)
    if (this.states.size > MAX_STATES) this.states.delete(this.states.keys().next().value as string)
  }

  get(root: string): string | undefined {
    return this.states.get(root)
  }
}

/** Contract code by CID, fetched and checked (checkContract) once. */
export class CodeCache {
  private readonly codes = new Map<string, { code: string; exports: string[] }>()

  constructor(private readonly fetch: (cid: string) => Promise<string>) {}

  async get(cid: string): Promise<{ code: string; exports: string[] }> {
    const hit = this.codes.get(cid)
    if (hit) return hit
    const code = await this.fetch(cid)
    const info = await checkContract(code)
    const v = { code, exports: info.exports }
    this.codes.set(cid, v)
    return v
  }
}
