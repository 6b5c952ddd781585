import { ByteWriter, fromHex, toHex } from './bytes.ts'
import { SteleError } from './errors.ts'
import {
  type GenesisLedger,
  type GenesisLedgerJson,
  genesisLedgerFromJson,
  genesisLedgerToJson,
  writeGenesisLedger,
} from './genesis-ledger.ts'
import { sha256 } from './hash.ts'

/** The one document a verifier trusts: who may produce blocks and who may register gateways. */
export interface Genesis {
  chainId: string
  /** Epoch milliseconds. */
  time: number
  producers: Uint8Array[]
  authority: Uint8Array
  /** Present: a version 2 genesis, with accounts (docs/protocol.md §9.5). Absent: version 1. */
  ledger?: GenesisLedger
}

export interface GenesisJson {
  chainId: string
  time: number
  producers: string[]
  authority: string
  ledger?: GenesisLedgerJson
  hash?: string
}

export function encodeGenesis(g: Genesis): Uint8Array {
  const version = g.ledger ? 2 : 1
  const w = new ByteWriter(128).u8(version).str8(g.chainId, 'chainId', 64).u64(g.time).u32(g.producers.length)
  for (const p of g.producers) w.bytes(p)
  w.bytes(g.authority)
  // Version 2 is version 1 followed by the ledger fields, so a version 1 genesis keeps its bytes and its hash.
  if (g.ledger) writeGenesisLedger(w, g.ledger)
  return w.finish()
}

export const genesisHash = (g: Genesis): Uint8Array => sha256(encodeGenesis(g))

export function genesisToJson(g: Genesis): GenesisJson {
  return {
    chainId: g.chainId,
    time: g.time,
    producers: g.producers.map(toHex),
    authority: toHex(g.authority),
    ...(g.ledger ? { ledger: genesisLedgerToJson(g.ledger) } : {}),
    hash: toHex(genesisHash(g)),
  }
}

export function genesisFromJson(j: unknown): Genesis {
  const o = j as Partial<GenesisJson> | null
  if (
    !o ||
    typeof o.chainId !== 'string' ||
    typeof o.time !== 'number' ||
    !Array.isArray(o.producers) ||
    typeof o.authority !== 'string'
  )
    throw new SteleError('STELE_BAD_ENCODING', 'genesis: expected {chainId, time, producers[], authority}')
  if (o.producers.length === 0)
    throw new SteleError('STELE_BAD_ENCODING', 'genesis: at least one producer is needed')
  const g: Genesis = {
    chainId: o.chainId,
    time: o.time,
    producers: o.producers.map((p, i) => fromHex(String(p), `genesis.producers[${i}]`, 32)),
    authority: fromHex(o.authority, 'genesis.authority', 32),
  }
  if (o.ledger !== undefined) g.ledger = genesisLedgerFromJson(o.ledger)
  // Hashing also validates: encodeGenesis refuses a time or chainId that has no canonical encoding.
  const hash = toHex(genesisHash(g))
  if (o.hash !== undefined && o.hash !== hash)
    throw new SteleError('STELE_BAD_ENCODING', 'genesis: hash does not match its contents')
  return g
}
