/** Named producers and signed header chains for the consensus tests. */
import { type SignedBlockHeader, signBlockHeader } from '../../../core/block.ts'
import { toHex } from '../../../core/bytes.ts'
import { keyPairFromSeed } from '../../../core/ed25519.ts'
import { genesisSnapshot, type Snapshot } from '../../../node/consensus/snapshot.ts'

export const NAMES = ['A', 'B', 'C', 'D', 'E', 'X'] as const
export type Name = (typeof NAMES)[number]
export const keys = Object.fromEntries(
  NAMES.map((n, i) => [n, keyPairFromSeed(new Uint8Array(32).fill(0x40 + i))]),
) as Record<Name, ReturnType<typeof keyPairFromSeed>>
export const nameOf = (hex: string): Name => NAMES.find((n) => toHex(keys[n].publicKey) === hex) as Name

export const CHAIN = 'clique-test'
export const GENESIS_HASH = new Uint8Array(32).fill(9)
export const T0 = 1_700_000_000_000
export const NOW = T0 + 1_000_000

export function snapshotOf(producers: readonly Name[]): Snapshot {
  return genesisSnapshot({
    chainId: CHAIN,
    producers: producers.map((p) => keys[p].publicKey),
    hash: GENESIS_HASH,
    time: T0,
  })
}

export interface HeaderSpec {
  by: Name
  /** Ms after the parent (default 1000). */
  gap?: number
  tamper?: 'signature' | 'chain' | 'prev' | 'hash'
  /** Varies the block's content, for two different blocks at one height. */
  salt?: number
}

/** Signs `specs` as a chain on top of `parent` (hash, height, time). */
export function build(
  parent: { height: number; hash: Uint8Array; time: number },
  specs: readonly HeaderSpec[],
): SignedBlockHeader[] {
  const out: SignedBlockHeader[] = []
  let p = parent
  for (const s of specs) {
    const h = signBlockHeader(
      {
        chainId: s.tamper === 'chain' ? 'other-chain' : CHAIN,
        height: p.height + 1,
        prevHash: s.tamper === 'prev' ? new Uint8Array(32) : p.hash,
        time: p.time + (s.gap ?? 1000),
        txRoot: new Uint8Array(32).fill(s.salt ?? 0),
        txCount: 0,
        producer: keys[s.by].publicKey,
      },
      keys[s.by].secretKey,
    )
    if (s.tamper === 'signature')
      h.signature = new Uint8Array(h.signature).map((b, i) => (i === 0 ? b ^ 1 : b))
    if (s.tamper === 'hash') h.hash = new Uint8Array(32)
    out.push(h)
    p = h
  }
  return out
}

export const by = (...names: Name[]): HeaderSpec[] => names.map((n) => ({ by: n }))
