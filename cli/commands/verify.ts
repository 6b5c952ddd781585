import { readFile } from 'node:fs/promises'
import { isAccountProofBundle, verifyAccountProof } from '../../core/account-proof.ts'
import { formatCoins } from '../../core/amount.ts'
import { SteleError } from '../../core/errors.ts'
import { genesisFromJson } from '../../core/genesis.ts'
import type { ProofBundle } from '../../core/proof.ts'
import { isStorageProofJson, verifyStorageProofJson } from '../../core/storage-proof.ts'
import { verifyProof } from '../../core/verify-proof.ts'
import { parse, strOption } from '../args.ts'
import { verifySpec } from './verify-spec.ts'

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    throw new SteleError('STELE_CONFIG', `cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e })
  }
}

async function readJson(path: string, what: string): Promise<unknown> {
  const text = await readText(path, what)
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new SteleError('STELE_CONFIG', `cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e })
  }
}

/** Exit code 0 when the proof holds, 1 when a check fails. */
export async function verifyCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(verifySpec, argv)
  if (p === 'help') return -1
  const file = p.positionals[0]
  if (!file)
    throw new SteleError(
      'STELE_CONFIG',
      "name the proof file: stele verify <proof.json> (see 'stele verify --help')",
    )
  const bundle = (await readJson(file, 'proof')) as ProofBundle
  const genesisPath = strOption(p, 'genesis')
  // Its content is read by the genesis.trusted check (docs/protocol.md §6.3): a broken file fails that check.
  const trusted = genesisPath ? await readText(genesisPath, 'genesis') : undefined
  if (isStorageProofJson(bundle)) return verifyStorage(bundle, p.values['json'] === true, out)
  if (isAccountProofBundle(bundle)) return verifyAccount(bundle, trusted, p.values['json'] === true, out)
  const result = verifyProof(bundle, trusted)
  if (p.values['json']) {
    out(JSON.stringify({ ok: result.ok, error: result.error ?? null, checks: result.checks }, null, 2))
  } else {
    for (const c of result.checks) out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(17)} ${c.message}`)
    if (result.ok && result.record && result.block)
      out(
        `\nVALID: ${result.record.device}/${result.record.sensor} = ${result.record.value}${result.record.unit ?? ''} at ${new Date(result.record.time).toISOString()}, in block ${result.block.height}`,
      )
    else out(`\nINVALID: ${result.error}`)
  }
  return result.ok ? 0 : 1
}

/** An account proof (docs/protocol.md §9.7): the same output shape, its own checks. */
function verifyAccount(
  bundle: Parameters<typeof verifyAccountProof>[0],
  trusted: string | undefined,
  json: boolean,
  out: (s: string) => void,
): number {
  const result = verifyAccountProof(bundle, trusted)
  if (json) {
    out(JSON.stringify({ ok: result.ok, error: result.error ?? null, checks: result.checks }, null, 2))
    return result.ok ? 0 : 1
  }
  for (const c of result.checks) out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(17)} ${c.message}`)
  if (result.ok && result.block) {
    const l = genesisFromJson(bundle.genesis).ledger
    const s = result.state
    const what = s
      ? `holds ${l ? `${formatCoins(s.balance, l.decimals)} ${l.symbol}` : `${s.balance} base units`}, next nonce ${s.nonce}`
      : 'is absent (no balance, nonce 0)'
    out(`\nVALID: account ${result.account} ${what}, as of block ${result.block.height}`)
  } else out(`\nINVALID: ${result.error}`)
  return result.ok ? 0 : 1
}

/** A storage proof (docs/storage.md, GET /v1/storage/files/:cid/proof): needs no genesis, only the CID it names. */
function verifyStorage(bundle: unknown, json: boolean, out: (s: string) => void): number {
  const result = verifyStorageProofJson(bundle)
  if (json) {
    out(JSON.stringify({ ok: result.ok, error: result.error ?? null, checks: result.checks }, null, 2))
    return result.ok ? 0 : 1
  }
  for (const c of result.checks) out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(17)} ${c.message}`)
  if (result.ok)
    out(
      `\nVALID: byte ${result.offset} of ${result.root} (${result.fileSize} bytes) is byte ${result.leafOffset} of leaf ${result.leafCid}`,
    )
  else out(`\nINVALID: ${result.error}`)
  return result.ok ? 0 : 1
}
