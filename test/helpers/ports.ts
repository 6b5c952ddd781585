import { createServer } from 'node:net'

/** Ports handed out by this process: a port checked free and closed again would otherwise be handed out twice. */
const handedOut = new Set<number>()

/**
 * A free port below Linux's ephemeral range (32768-60999): a port the kernel hands out for port 0 can be taken again
 * by any outgoing connection (nodes dial each other while others still start) before its node binds it. A port is
 * never returned twice in one process, so the ten ports of a five-node layout are distinct.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    if (handedOut.has(port)) continue
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer()
      s.once('error', () => resolve(false))
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
    })
    if (free) {
      handedOut.add(port)
      return port
    }
  }
}
