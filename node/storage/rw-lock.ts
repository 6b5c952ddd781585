/**
 * A readers-writer lock: writes of blocks (uploads, imports) share it, gc holds it alone, so gc never sweeps the
 * blocks of an upload still under way. Waiting writers go before new readers, so a steady upload stream cannot
 * starve gc.
 */
export class RwLock {
  private readers = 0
  private writer = false
  private queue: { write: boolean; go: () => void }[] = []

  async read<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(false)
    try {
      return await fn()
    } finally {
      this.readers--
      this.next()
    }
  }

  async write<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(true)
    try {
      return await fn()
    } finally {
      this.writer = false
      this.next()
    }
  }

  private acquire(write: boolean): Promise<void> {
    const free = write ? !this.writer && this.readers === 0 : !this.writer && this.queue.length === 0
    if (free && this.queue.length === 0) {
      if (write) this.writer = true
      else this.readers++
      return Promise.resolve()
    }
    return new Promise((go) => this.queue.push({ write, go }))
  }

  private next(): void {
    while (this.queue.length > 0 && !this.writer) {
      const head = this.queue[0]!
      if (head.write) {
        if (this.readers > 0) return
        this.queue.shift()
        this.writer = true
        head.go()
        return
      }
      this.queue.shift()
      this.readers++
      head.go()
    }
  }
}
