import { MAX_AMOUNT, parseAmount, readAmount, writeAmount } from './amount.ts'
import { abytes, type ByteReader, type ByteWriter, fromHex, toHex } from './bytes.ts'
import { SteleError } from './errors.ts'
import { TX_TYPE_NAMES, TX_TYPES } from './transaction.ts'

/** What genesis version 2 adds (docs/protocol.md §9.5): the currency, its first holders, the faucet and fees. */
export interface GenesisLedger {
  /** 1…12 characters of [A-Z0-9]. */
  symbol: string
  /** Digits after the decimal point when base units are shown as coins, 0…18. */
  decimals: number
  /** The account whose signature a faucet-grant needs. */
  faucet: Uint8Array
  /** The most one faucet-grant may move. */
  faucetGrant: bigint
  /** Initial balances, in strictly ascending key order; their sum is the total supply. */
  allocations: { account: Uint8Array; amount: bigint }[]
  /** Minimum fee per transaction type, in strictly ascending type order; a type not listed has minimum 0. */
  minFees: { type: number; fee: bigint }[]
}

export interface GenesisLedgerJson {
  symbol: string
  decimals: number
  faucet: string
  faucetGrant: string
  allocations: { account: string; amount: string }[]
  /** Type name (`transfer`, …) to fee in base units, as decimal strings. */
  minFees: { [typeName: string]: string }
}

/** What a version 1 genesis means for the ledger: a currency nobody holds, no faucet, no fees. */
export const V1_LEDGER_DEFAULTS = { symbol: 'STELE', decimals: 0 } as const

const SYMBOL_RE = /^[A-Z0-9]{1,12}$/

function bad(message: string): SteleError {
  return new SteleError('STELE_BAD_ENCODING', `genesis: ${message}`)
}

/** Checks the rules the encoding cannot express; returns the total supply. */
export function checkGenesisLedger(l: GenesisLedger): bigint {
  if (!SYMBOL_RE.test(l.symbol)) throw bad('ledger.symbol must be 1…12 characters of [A-Z0-9]')
  if (!Number.isInteger(l.decimals) || l.decimals < 0 || l.decimals > 18)
    throw bad('ledger.decimals must be an integer in 0…18')
  abytes(l.faucet, 'genesis: ledger.faucet', 32)
  let supply = 0n
  l.allocations.forEach((a, i) => {
    abytes(a.account, `genesis: ledger.allocations[${i}].account`, 32)
    if (i > 0 && Buffer.compare(l.allocations[i - 1]!.account, a.account) >= 0)
      throw bad('ledger.allocations must be in strictly ascending account order')
    supply += a.amount
  })
  if (supply > MAX_AMOUNT) throw bad('ledger.allocations sum to more than 2^64 − 1')
  l.minFees.forEach((f, i) => {
    if (!Number.isInteger(f.type) || f.type < 1 || f.type > 0xff) throw bad(`ledger.minFees[${i}]: bad type`)
    if (i > 0 && l.minFees[i - 1]!.type >= f.type)
      throw bad('ledger.minFees must be in strictly ascending type order')
  })
  return supply
}

export function writeGenesisLedger(w: ByteWriter, l: GenesisLedger): void {
  checkGenesisLedger(l)
  w.str8(l.symbol, 'symbol', 12).u8(l.decimals).bytes(l.faucet)
  writeAmount(w, l.faucetGrant, 'genesis: ledger.faucetGrant')
  w.u16(l.allocations.length)
  for (const a of l.allocations) writeAmount(w.bytes(a.account), a.amount, 'genesis: allocation amount')
  w.u8(l.minFees.length)
  for (const f of l.minFees) writeAmount(w.u8(f.type), f.fee, 'genesis: minimum fee')
}

export function readGenesisLedger(rd: ByteReader): GenesisLedger {
  const symbol = rd.str8('symbol', 12)
  const decimals = rd.u8('decimals')
  const faucet = new Uint8Array(rd.bytes(32, 'faucet'))
  const faucetGrant = readAmount(rd, 'faucetGrant')
  const n = rd.u16('allocations.count')
  const allocations: GenesisLedger['allocations'] = []
  for (let i = 0; i < n; i++)
    allocations.push({
      account: new Uint8Array(rd.bytes(32, `allocations[${i}].account`)),
      amount: readAmount(rd, `allocations[${i}].amount`),
    })
  const m = rd.u8('minFees.count')
  const minFees: GenesisLedger['minFees'] = []
  for (let i = 0; i < m; i++)
    minFees.push({ type: rd.u8(`minFees[${i}].type`), fee: readAmount(rd, `minFees[${i}].fee`) })
  const l = { symbol, decimals, faucet, faucetGrant, allocations, minFees }
  checkGenesisLedger(l)
  return l
}

export function genesisLedgerToJson(l: GenesisLedger): GenesisLedgerJson {
  return {
    symbol: l.symbol,
    decimals: l.decimals,
    faucet: toHex(l.faucet),
    faucetGrant: l.faucetGrant.toString(),
    allocations: l.allocations.map((a) => ({ account: toHex(a.account), amount: a.amount.toString() })),
    minFees: Object.fromEntries(
      l.minFees.map((f) => [TX_TYPE_NAMES[f.type] ?? String(f.type), f.fee.toString()]),
    ),
  }
}

const TYPE_BY_NAME: { [name: string]: number } = Object.fromEntries(
  Object.values(TX_TYPES).map((n) => [TX_TYPE_NAMES[n]!, n]),
)

export function genesisLedgerFromJson(j: unknown): GenesisLedger {
  const o = j as Partial<GenesisLedgerJson> | null
  if (
    !o ||
    typeof o !== 'object' ||
    typeof o.symbol !== 'string' ||
    typeof o.decimals !== 'number' ||
    typeof o.faucet !== 'string' ||
    !Array.isArray(o.allocations) ||
    !o.minFees ||
    typeof o.minFees !== 'object'
  )
    throw bad('ledger: expected {symbol, decimals, faucet, faucetGrant, allocations[], minFees{}}')
  const allocations = o.allocations.map((a, i) => ({
    account: fromHex(String(a?.account), `genesis.ledger.allocations[${i}].account`, 32),
    amount: parseAmount(a?.amount, `genesis.ledger.allocations[${i}].amount`),
  }))
  allocations.sort((a, b) => Buffer.compare(a.account, b.account))
  const minFees = Object.entries(o.minFees).map(([name, fee]) => {
    const type = TYPE_BY_NAME[name]
    if (type === undefined) throw bad(`ledger.minFees: unknown transaction type ${name}`)
    return { type, fee: parseAmount(fee, `genesis.ledger.minFees.${name}`) }
  })
  minFees.sort((a, b) => a.type - b.type)
  const l: GenesisLedger = {
    symbol: o.symbol,
    decimals: o.decimals,
    faucet: fromHex(o.faucet, 'genesis.ledger.faucet', 32),
    faucetGrant: parseAmount(o.faucetGrant, 'genesis.ledger.faucetGrant'),
    allocations,
    minFees,
  }
  checkGenesisLedger(l)
  return l
}

/** The total supply: the sum of the allocations (0 for a version 1 genesis). */
export function totalSupply(l: GenesisLedger | undefined): bigint {
  return l ? l.allocations.reduce((s, a) => s + a.amount, 0n) : 0n
}

export function minFee(l: GenesisLedger | undefined, type: number): bigint {
  return l?.minFees.find((f) => f.type === type)?.fee ?? 0n
}
