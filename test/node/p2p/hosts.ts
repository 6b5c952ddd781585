import { keyPairFromSeed } from '../../../core/ed25519.ts'
import { createP2pHost, type P2pHost, type P2pHostInit } from '../../../node/p2p/host.ts'

export const CHAIN = 'p2p-test'

/** Node i's ledger key: fixed seeds, so a failure names the same peers on every run. */
export const nodeKey = (i: number) => keyPairFromSeed(new Uint8Array(32).fill(i + 1))

let memoryRun = 0

/** `n` hosts listening on loopback TCP or distinct in-memory addresses; the caller connects them. */
export async function startHosts(
  n: number,
  transport: 'tcp' | 'memory',
  extra: (i: number) => Partial<P2pHostInit> = () => ({}),
): Promise<P2pHost[]> {
  const run = memoryRun++
  const hosts: P2pHost[] = []
  for (let i = 0; i < n; i++) {
    hosts.push(
      await createP2pHost({
        key: nodeKey(i).secretKey,
        chainId: CHAIN,
        transport,
        listen: [transport === 'tcp' ? '/ip4/127.0.0.1/tcp/0' : `/memory/stele-${process.pid}-${run}-${i}`],
        ...extra(i),
      }),
    )
  }
  return hosts
}

export async function connect(a: P2pHost, b: P2pHost): Promise<void> {
  await a.dial(b.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) })
}

/**
 * One after another: two in-memory hosts of one process stopped at once race in yamux (a window update queued for a
 * stream on a connection the other side just closed throws outside any promise).
 */
export async function stopHosts(hosts: P2pHost[]): Promise<void> {
  for (const h of hosts) await h.stop()
}
