import { SteleError } from '../../core/errors.ts'

const noop = (): void => undefined

/**
 * Writes issued one after the other, in call order, with at most `maxInFlight` issued but not landed. A failed
 * write marks the chain broken and fails every write queued behind it without running it (STELE_STORAGE); the owner
 * recovers (waits for `drain`, drops what it staged ahead of the disk) and calls `reset`.
 */
export class WriteChain {
  /** The last write issued. */
  private tail: Promise<void> = Promise.resolve()
  private readonly inFlight: Promise<void>[] = []
  broken = false

  constructor(private readonly maxInFlight: number) {}

  /** Resolves when every write issued so far has settled. */
  drain(): Promise<void> {
    return this.tail.then(noop, noop)
  }

  /** Resolves when fewer than `maxInFlight` writes are in flight (backpressure, bounded memory). */
  async room(): Promise<void> {
    while (this.inFlight.length >= this.maxInFlight) await this.inFlight[0]!.then(noop, noop)
  }

  /** After a recovery: the chain starts again from what is on disk. */
  reset(): void {
    this.broken = false
    this.tail = Promise.resolve()
  }

  /** Issues `write` after every earlier write landed; if one of them failed, fails without writing. */
  issue(write: (() => Promise<void>) | undefined): Promise<void> {
    const w = this.tail.then(
      async () => {
        if (!write) return
        try {
          await write()
        } catch (cause) {
          throw new SteleError(
            'STELE_STORAGE',
            `the node could not write accepted batches: ${String(cause)}`,
            {
              cause,
            },
          )
        }
      },
      (cause) => {
        throw new SteleError(
          'STELE_STORAGE',
          'an earlier write of the node failed, so this call was not stored; send it again',
          { cause },
        )
      },
    )
    this.tail = w
    this.inFlight.push(w)
    w.then(noop, () => {
      this.broken = true
    }).finally(() => {
      this.inFlight.shift()
    })
    return w
  }
}
