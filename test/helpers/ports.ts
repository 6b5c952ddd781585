import { createServer } from 'node:net'

/**
 * A free port below Linux's ephemeral range (32768-60999): a port the kernel hands out for port 0 can be taken again
 * by any outgoing connection (nodes dial each other while others still start) before its node binds it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer()
      s.once('error', () => resolve(false))
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
    })
    if (free) return port
  }
}
