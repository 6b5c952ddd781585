import { readFile } from 'node:fs/promises'
import { parseCoins } from '../../core/amount.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { encodeContractCall, encodeContractDeploy } from '../../core/contract-payloads.ts'
import { SteleError } from '../../core/errors.ts'
import { minFee } from '../../core/genesis-ledger.ts'
import { backgroundTimers } from '../../core/timers.ts'
import { signTx, TX_TYPES } from '../../core/transaction.ts'
import { canonicalJson } from '../../node/executor/canonical-json.ts'
import { checkContract } from '../../node/executor/check-contract.ts'
import { intOption, type Parsed, strOption } from '../args.ts'
import { LedgerClient } from '../ledger-client.ts'
import { readWalletKey } from '../wallet-key.ts'
import { DEFAULT_NODE, DEFAULT_WALLET, passphraseFrom } from './account.ts'
import { replayResult } from './contract-replay.ts'

type Out = (s: string) => void
type P = Exclude<Parsed, 'help'>

const list = (p: P, name: string): string[] =>
  (strOption(p, name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')

const contractArg = (p: P, what: string): string => {
  const id = p.positionals[1]
  if (!id) throw new SteleError('STELE_CONFIG', `usage: stele contract ${what} <contract id>`)
  return toHex(fromHex(id, 'contract id', 32))
}

/** Signs a ledger transaction with the wallet key and sends it; waits for its block with --wait. */
async function send(
  p: P,
  client: LedgerClient,
  type: number,
  payload: (fee: bigint) => Uint8Array,
): Promise<{ hash: string; height: number | null }> {
  const key = await readWalletKey(strOption(p, 'key') ?? DEFAULT_WALLET, passphraseFrom(p))
  const genesis = await client.genesis()
  const l = genesis.ledger
  if (!l) throw new SteleError('STELE_UNAVAILABLE', 'this chain has no ledger (its genesis is version 1)')
  const feeArg = strOption(p, 'fee')
  const fee = feeArg ? parseCoins(feeArg, l.decimals, '--fee') : minFee(l, type)
  const me = await client.call(`/v1/accounts/${toHex(key.publicKey)}`)
  const tx = signTx(
    { type, chainId: genesis.chainId, signer: key.publicKey, nonce: me.pending.nonce, payload: payload(fee) },
    key.secretKey,
  )
  const sent = await client.call('/v1/transactions', { tx: Buffer.from(tx.bytes).toString('base64') })
  if (p.values['wait'] !== true) return { hash: sent.hash, height: null }
  const done = await client.waitConfirmed(
    sent.hash,
    backgroundTimers,
    Number(strOption(p, 'timeout') ?? 60000),
  )
  return { hash: sent.hash, height: done.blockHeight }
}

/** Uploads the code (POST /v1/storage/files) after checking it loads here; returns its CID. */
async function upload(client: LedgerClient, file: string): Promise<string> {
  const code = await readFile(file).catch((cause) => {
    throw new SteleError('STELE_CONFIG', `cannot read contract ${file}`, { cause })
  })
  await checkContract(new TextDecoder().decode(code))
  const r = await fetch(new URL('/v1/storage/files', client.base), {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: code,
  }).catch((cause) => {
    throw new SteleError('STELE_UNAVAILABLE', `cannot reach the node at ${client.base}`, { cause })
  })
  const json = (await r.json()) as { cid?: string; error?: { message: string } }
  if (!r.ok || !json.cid)
    throw new SteleError('STELE_UNAVAILABLE', `upload refused: ${json.error?.message ?? r.status}`)
  return json.cid
}

const page = (p: P) => `limit=${intOption(p, 'limit', 1)}`

/** deploy, call, ls, show, results, events, replay: the contract commands that talk to a node. */
export async function contractChainCommand(sub: string, p: P, out: Out): Promise<number> {
  const client = new LedgerClient(strOption(p, 'node') ?? DEFAULT_NODE)
  const json = p.values['json'] === true
  const print = (v: unknown, text: () => string) => out(json ? JSON.stringify(v, null, 2) : text())
  switch (sub) {
    case 'deploy': {
      const file = p.positionals[1]
      if (!file) throw new SteleError('STELE_CONFIG', 'usage: stele contract deploy <file.js> [--name n] ...')
      const codeCid = await upload(client, file)
      const name = strOption(p, 'name') ?? (file.split('/').pop() ?? file).replace(/\.js$/, '')
      const gasLimit = p.values['gas'] === undefined ? 1_000_000 : intOption(p, 'gas', 1)
      const r = await send(p, client, TX_TYPES.CONTRACT_DEPLOY, (fee) =>
        encodeContractDeploy({
          fee,
          name,
          codeCid,
          gasLimit,
          filter: {
            devices: list(p, 'devices'),
            sensors: list(p, 'sensors'),
            gateways: list(p, 'gateways').map((g) => fromHex(g, '--gateways', 32)),
          },
        }),
      )
      print({ contract: r.hash, codeCid, height: r.height }, () =>
        [
          `contract ${r.hash}`,
          `code ${codeCid}`,
          r.height === null ? 'sent; its block follows' : `deployed in block ${r.height}`,
        ].join('\n'),
      )
      return 0
    }
    case 'call': {
      const contract = contractArg(p, 'call')
      const fn = p.positionals[2]
      if (!fn)
        throw new SteleError('STELE_CONFIG', "usage: stele contract call <contract id> <fn> [--args '{}']")
      let args: string
      try {
        args = canonicalJson(JSON.parse(strOption(p, 'args') ?? '{}'), 'args')
      } catch (cause) {
        throw new SteleError('STELE_CONFIG', '--args must be JSON', { cause })
      }
      const gas = p.values['gas'] === undefined ? 100_000 : intOption(p, 'gas', 1)
      const r = await send(p, client, TX_TYPES.CONTRACT_CALL, (fee) =>
        encodeContractCall({ fee, contract: fromHex(contract, 'contract', 32), fn, args, gas }),
      )
      print({ call: r.hash, height: r.height }, () =>
        r.height === null ? `call ${r.hash} sent` : `call ${r.hash} in block ${r.height}`,
      )
      return 0
    }
    case 'ls': {
      const { items } = await client.call('/v1/contracts')
      print(items, () =>
        items.length === 0
          ? 'no contract deployed'
          : items
              .map(
                (c: { id: string; name: string; results: number; lastHeight: number }) =>
                  `${c.id}  ${c.name}  results ${c.results}  last block ${c.lastHeight}`,
              )
              .join('\n'),
      )
      return 0
    }
    case 'show': {
      const c = await client.call(`/v1/contracts/${contractArg(p, 'show')}`)
      print(c, () =>
        [
          `contract ${c.id} (${c.name}), owner ${c.owner}`,
          `code ${c.codeCid}, gas ${c.gasLimit} per block run, deployed in block ${c.height}`,
          `filter ${JSON.stringify(c.filter)}`,
          `results ${c.results}, last block ${c.lastHeight}, calls waiting ${c.pendingCalls}, mismatches ${c.mismatches}`,
          `state root ${c.stateRoot}`,
          `state ${JSON.stringify(c.state, null, 2)}`,
        ].join('\n'),
      )
      return 0
    }
    case 'results': {
      const r = await client.call(`/v1/contracts/${contractArg(p, 'results')}/results?${page(p)}`)
      print(r.items, () =>
        r.items
          .map(
            (x: { hash: string; height: number; status: string; gasUsed: number; events: unknown[] }) =>
              `${x.hash}  block ${x.height}  ${x.status}  gas ${x.gasUsed}  events ${x.events.length}`,
          )
          .join('\n'),
      )
      return 0
    }
    case 'events': {
      const r = await client.call(`/v1/contracts/${contractArg(p, 'events')}/events?${page(p)}`)
      print(r.items, () =>
        r.items
          .map(
            (e: { height: number; name: string; data: unknown }) =>
              `block ${e.height}  ${e.name}  ${JSON.stringify(e.data)}`,
          )
          .join('\n'),
      )
      return 0
    }
    case 'replay': {
      const hash = p.positionals[1]
      if (!hash) throw new SteleError('STELE_CONFIG', 'usage: stele contract replay <result tx hash>')
      const r = await replayResult(client, toHex(fromHex(hash, 'result hash', 32)))
      const rows = (Object.keys(r.claimed) as (keyof typeof r.claimed)[]).map(
        (k) =>
          `  ${k.padEnd(15)} claimed ${r.claimed[k]}\n  ${''.padEnd(15)} replayed ${r.recomputed[k]}${r.claimed[k] === r.recomputed[k] ? '' : '  ≠'}`,
      )
      print(r, () =>
        [
          `${r.match ? 'MATCH' : 'MISMATCH'}: result ${r.result} of contract ${r.contract}, block ${r.height}`,
          ...rows,
        ].join('\n'),
      )
      return r.match ? 0 : 1
    }
    default:
      throw new SteleError('STELE_CONFIG', `unknown subcommand '${sub}' (see 'stele contract --help')`)
  }
}
