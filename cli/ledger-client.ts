import type { ErrorCode } from '../core/error-codes.ts'
import { SteleError } from '../core/errors.ts'
import { type Genesis, genesisFromJson } from '../core/genesis.ts'
import { sleep, type Timers } from '../core/timers.ts'

/** The few ledger calls the wallet commands make over HTTP; a node's error comes back as its own coded error. */
export class LedgerClient {
  constructor(readonly base: string) {}

  // biome-ignore lint/suspicious/noExplicitAny: JSON of the node's documented answers
  async call(path: string, body?: unknown): Promise<any> {
    let r: Response
    try {
      r = await fetch(
        new URL(path, this.base),
        body === undefined
          ? {}
          : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      )
    } catch (cause) {
      throw new SteleError('STELE_UNAVAILABLE', `cannot reach the node at ${this.base}`, { cause })
    }
    const json = (await r.json().catch(() => null)) as {
      error?: { code: ErrorCode; message: string; details?: Record<string, unknown> }
    } | null
    if (!r.ok) {
      const e = json?.error
      throw new SteleError(e?.code ?? 'STELE_INTERNAL', e?.message ?? `HTTP ${r.status} from ${path}`, {
        ...(e?.details ? { details: e.details } : {}),
      })
    }
    return json
  }

  async genesis(): Promise<Genesis> {
    const chain = await this.call('/v1/chain')
    return genesisFromJson(chain.genesis)
  }

  /** Polls until the transaction is in a block; returns its view. */
  // biome-ignore lint/suspicious/noExplicitAny: JSON of the node's documented answer
  async waitConfirmed(hash: string, timers: Timers, timeoutMs: number): Promise<any> {
    const deadline = timers.now() + timeoutMs
    for (;;) {
      const tx = await this.call(`/v1/transactions/${hash}`)
      if (tx.status === 'confirmed') return tx
      if (timers.now() > deadline)
        throw new SteleError(
          'STELE_UNAVAILABLE',
          `transaction ${hash} is still pending after ${timeoutMs} ms`,
        )
      await sleep(200, timers)
    }
  }
}
