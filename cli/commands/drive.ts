import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { CID } from 'multiformats/cid'
import { formatCoins, parseCoins } from '../../core/amount.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { encodeDriveClose, encodeDriveCreate, encodeDriveRemove } from '../../core/drive-payloads.ts'
import { SteleError } from '../../core/errors.ts'
import { TX_TYPES } from '../../core/transaction.ts'
import { intOption, parse, strOption } from '../args.ts'
import { LedgerClient } from '../ledger-client.ts'
import { readWalletKey } from '../wallet-key.ts'
import { DEFAULT_NODE, DEFAULT_WALLET, passphraseFrom } from './account.ts'
import { driveSpec } from './drive-spec.ts'
import { type Announced, announceAndWait, feeOf, ledgerOf, putInDrive } from './drive-tx.ts'
import { requestBody, withProgress } from './storage-transfer.ts'

// biome-ignore lint/suspicious/noExplicitAny: JSON of GET /v1/drives/:id (node/api/drives.ts documents it)
type DriveJson = any

/** A CID given on the command line, or undefined when the text is not one (then it is a file path). */
function asCid(text: string): CID | undefined {
  try {
    return CID.parse(text).toV1()
  } catch {
    return undefined
  }
}

/** Uploads a local file (POST /v1/storage/files) with progress on standard error; returns its CID. */
export async function uploadFile(node: string, path: string, progress: boolean): Promise<string> {
  await stat(path).catch((e) => {
    throw new SteleError('STELE_CONFIG', `${path} is neither a CID nor a readable file`, { cause: e })
  })
  const body = withProgress(
    createReadStream(path) as AsyncIterable<Uint8Array>,
    'upload',
    progress ? process.stderr : undefined,
  )
  const client = new LedgerClient(node)
  let res: Response
  try {
    res = await fetch(new URL('/v1/storage/files', node), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: requestBody(body),
      duplex: 'half',
    } as RequestInit)
  } catch (cause) {
    throw new SteleError('STELE_UNAVAILABLE', `cannot reach the node at ${client.base}`, { cause })
  }
  const json = (await res.json().catch(() => null)) as {
    cid?: string
    error?: { code: SteleError['code']; message: string }
  } | null
  if (!res.ok || !json?.cid)
    throw new SteleError(
      json?.error?.code ?? 'STELE_UNAVAILABLE',
      json?.error?.message ?? `upload: HTTP ${res.status}`,
    )
  return json.cid
}

function driveLines(d: DriveJson, decimals: number, symbol: string): string[] {
  const lines = [
    `drive ${d.id}  ${d.status}`,
    `owner ${d.owner}`,
    `capacity ${d.used}/${d.capacity} bytes, ${d.replicas} replica(s), challenge every ${d.period} blocks`,
    `blocks ${d.start}…${d.end} (duration ${d.duration}), price ${formatCoins(BigInt(d.price), decimals)} ${symbol}/block, escrow ${formatCoins(BigInt(d.escrow), decimals)} ${symbol}`,
    `root ${d.root}`,
  ]
  for (const f of d.files) lines.push(`  file ${f.name}  ${f.cid}  ${f.size} bytes`)
  for (const r of d.replicators)
    lines.push(
      `  replicator ${r.key}  passed ${r.passed}, failed ${r.failed}, missed ${r.missed}, paid ${formatCoins(BigInt(r.paid), decimals)} ${symbol}`,
    )
  return lines
}

/** `stele drive ...`: drive transactions signed with the wallet key, announced to a node (docs/storage.md). */
export async function driveCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(driveSpec, argv)
  if (p === 'help') return -1
  const [action, a1, a2] = p.positionals
  const node = strOption(p, 'node') ?? DEFAULT_NODE
  const client = new LedgerClient(node)
  const json = p.values['json'] === true
  const timeout = intOption(p, 'timeout', 1)
  const usage = () => new SteleError('STELE_CONFIG', `usage: ${driveSpec.usage}`)
  const driveId = (text: string | undefined) => {
    if (!text) throw usage()
    return fromHex(text, 'drive id', 32)
  }
  const genesis = await client.genesis()
  const l = ledgerOf(genesis)
  const fee = (type: number) => {
    const f = strOption(p, 'fee')
    return f ? parseCoins(f, l.decimals, '--fee') : feeOf(genesis, type)
  }
  const send = async (type: number, payload: Uint8Array): Promise<Announced> => {
    const key = await readWalletKey(strOption(p, 'key') ?? DEFAULT_WALLET, passphraseFrom(p))
    return announceAndWait(client, genesis, key, type, payload, timeout)
  }
  const report = (what: string, r: Announced, extra: Record<string, unknown> = {}) =>
    out(
      json
        ? JSON.stringify({ ...extra, hash: r.hash, height: r.height, blockHash: r.blockHash })
        : `${what} in block ${r.height} (${r.blockHash})\ntransaction ${r.hash}`,
    )

  switch (action) {
    case 'create': {
      if (!strOption(p, 'capacity') || !strOption(p, 'duration'))
        throw new SteleError('STELE_CONFIG', 'stele drive create needs --capacity and --duration')
      const terms = {
        capacity: intOption(p, 'capacity', 1),
        duration: intOption(p, 'duration', 1),
        period: intOption(p, 'period', 1),
        replicas: intOption(p, 'replicas', 1, 16),
        price: parseCoins(strOption(p, 'price') ?? '0', l.decimals, '--price'),
      }
      const r = await send(
        TX_TYPES.DRIVE_CREATE,
        encodeDriveCreate({ fee: fee(TX_TYPES.DRIVE_CREATE), ...terms }),
      )
      // The drive's id is the hash of its drive-create transaction.
      report(`drive ${r.hash} created`, r, { drive: r.hash })
      return 0
    }
    case 'ls': {
      let cursor: string | undefined
      const all: DriveJson[] = []
      do {
        const page = await client.call(`/v1/drives${cursor ? `?cursor=${cursor}` : ''}`)
        all.push(...page.drives)
        cursor = page.nextCursor
      } while (cursor)
      if (json) out(JSON.stringify(all))
      else
        for (const d of all)
          out(
            `${d.id}  ${d.status.padEnd(7)}  ${d.used}/${d.capacity} bytes  ${d.files.length} files  owner ${d.owner}`,
          )
      return 0
    }
    case 'status': {
      const d = await client.call(`/v1/drives/${toHex(driveId(a1))}`)
      if (json) out(JSON.stringify(d))
      else for (const line of driveLines(d, l.decimals, l.symbol)) out(line)
      return 0
    }
    case 'put': {
      const drive = driveId(a1)
      if (!a2) throw usage()
      let cid = asCid(a2)
      if (!cid) cid = CID.parse(await uploadFile(node, a2, p.values['quiet'] !== true))
      const name = strOption(p, 'name') ?? (asCid(a2) ? cid.toString() : basename(a2))
      const key = await readWalletKey(strOption(p, 'key') ?? DEFAULT_WALLET, passphraseFrom(p))
      const feeArg = strOption(p, 'fee')
      const r = await putInDrive(
        client,
        genesis,
        key,
        { drive, name, cid: cid.toString(), fee: feeArg ? fee(TX_TYPES.DRIVE_PUT) : undefined },
        timeout,
      )
      report(`${name} → ${cid} put`, r, { name, cid: cid.toString() })
      return 0
    }
    case 'rm': {
      const drive = driveId(a1)
      if (!a2) throw usage()
      const r = await send(
        TX_TYPES.DRIVE_REMOVE,
        encodeDriveRemove({ fee: fee(TX_TYPES.DRIVE_REMOVE), drive, name: a2 }),
      )
      report(`${a2} removed`, r)
      return 0
    }
    case 'close': {
      const drive = driveId(a1)
      const r = await send(TX_TYPES.DRIVE_CLOSE, encodeDriveClose({ fee: fee(TX_TYPES.DRIVE_CLOSE), drive }))
      report('drive closed', r)
      return 0
    }
    default:
      throw usage()
  }
}
