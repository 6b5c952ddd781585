import { createReadStream, createWriteStream } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fromHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { KEY_BYTES, openStream, sealStream } from '../../core/sealed-stream.ts'
import { type Parsed, parse, strOption } from '../args.ts'
import { LedgerClient } from '../ledger-client.ts'
import { readWalletKey } from '../wallet-key.ts'
import { DEFAULT_WALLET, passphraseFrom } from './account.ts'
import { putInDrive } from './drive-tx.ts'
import { storageSpec } from './storage-spec.ts'
import { requestBody, withProgress } from './storage-transfer.ts'

const KEY_ALG = 'stele-sealed-stream-v1 (xsalsa20poly1305)'

/** The node's error body as a SteleError, or a plain one naming the status. */
async function refused(res: Response): Promise<SteleError> {
  try {
    const { error } = (await res.json()) as { error: { code: SteleError['code']; message: string } }
    return new SteleError(error.code, error.message)
  } catch {
    return new SteleError('STELE_UNAVAILABLE', `the node answered ${res.status}`)
  }
}

async function call(node: string, method: string, path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response
  try {
    res = await fetch(new URL(path, node), { method, ...init })
  } catch (e) {
    throw new SteleError('STELE_UNAVAILABLE', `cannot reach ${node}: ${(e as Error).message}`, { cause: e })
  }
  if (!res.ok) throw await refused(res)
  return res
}

async function readKey(file: string): Promise<Uint8Array> {
  let key: Uint8Array
  try {
    key = new Uint8Array(
      Buffer.from((JSON.parse(await readFile(file, 'utf8')) as { key: string }).key, 'base64'),
    )
  } catch (e) {
    throw new SteleError('STELE_CONFIG', `${file} is not a Stele storage key file`, { cause: e })
  }
  if (key.length !== KEY_BYTES)
    throw new SteleError('STELE_CONFIG', `${file}: the key is not ${KEY_BYTES} bytes`)
  return key
}

/** The response body as bytes, opened with the key file when one is given. */
function download(res: Response, decrypt: string | undefined, key?: Uint8Array): AsyncIterable<Uint8Array> {
  const body = Readable.fromWeb(res.body as never) as AsyncIterable<Uint8Array>
  return decrypt && key ? openStream(body, key) : body
}

/** `stele storage ...`: files on a node over its HTTP API (docs/storage.md). */
export async function storageCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(storageSpec, argv)
  if (p === 'help') return -1
  const node = strOption(p, 'node') ?? 'http://127.0.0.1:8080'
  const [action, arg] = p.positionals
  const progress = p.values.quiet ? undefined : process.stderr
  const need = (what: string) => {
    if (!arg)
      throw new SteleError(
        'STELE_CONFIG',
        `stele storage ${action} needs ${what}; usage: ${storageSpec.usage}`,
      )
    return arg
  }
  const sink = async (source: AsyncIterable<Uint8Array>) => {
    const output = strOption(p, 'output')
    await pipeline(Readable.from(source), output ? createWriteStream(output) : process.stdout)
  }

  switch (action) {
    case 'add': {
      const file = need('a file (or - for standard input)')
      const input = (file === '-' ? process.stdin : createReadStream(file)) as AsyncIterable<Uint8Array>
      let body = withProgress(input, 'add', progress)
      if (p.values.encrypt) {
        const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES))
        const keyFile = strOption(p, 'key') ?? `${file === '-' ? 'stdin' : file}.key`
        // Written before the upload: a key lost after a successful upload would lose the file.
        await writeFile(
          keyFile,
          `${JSON.stringify({ alg: KEY_ALG, key: Buffer.from(key).toString('base64') })}\n`,
          {
            mode: 0o600,
            flag: 'wx',
          },
        )
        out(`key: ${keyFile} (keep it: the node never sees it, and the file cannot be read without it)`)
        body = sealStream(body, key)
      }
      const res = await call(node, 'POST', '/v1/storage/files', {
        headers: { 'content-type': 'application/octet-stream' },
        body: requestBody(body),
        duplex: 'half',
      } as RequestInit)
      const r = (await res.json()) as { cid: string; size: number; blocks: number }
      out(`${r.cid}  ${r.size} bytes, ${r.blocks} blocks${p.values.encrypt ? ' (ciphertext)' : ''}`)
      return 0
    }
    case 'get':
    case 'cat': {
      const cid = need('a CID')
      const decrypt = strOption(p, 'decrypt')
      const key = decrypt ? await readKey(decrypt) : undefined
      const res = await call(node, 'GET', `/v1/storage/files/${encodeURIComponent(cid)}`)
      const label = action === 'get' ? 'get' : 'cat'
      await sink(withProgress(download(res, decrypt, key), label, action === 'get' ? progress : undefined))
      return 0
    }
    case 'export': {
      const cid = need('a CID')
      const res = await call(node, 'GET', `/v1/storage/files/${encodeURIComponent(cid)}/car`)
      await sink(withProgress(download(res, undefined), 'export', progress))
      return 0
    }
    case 'import': {
      const file = need('a CAR file')
      const res = await call(node, 'POST', '/v1/storage/car', {
        headers: { 'content-type': 'application/vnd.ipld.car' },
        body: requestBody(withProgress(createReadStream(file), 'import', progress)),
        duplex: 'half',
      } as RequestInit)
      const r = (await res.json()) as { roots: string[]; blocks: number }
      out(`${r.roots.join(' ')}  ${r.blocks} blocks`)
      return 0
    }
    case 'ls': {
      let cursor: string | null = null
      do {
        const q: string = cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''
        const page = (await (await call(node, 'GET', `/v1/storage/files${q}`)).json()) as {
          items: { cid: string; size: number; at: number }[]
          nextCursor: string | null
        }
        for (const u of page.items)
          out(`${u.cid}  ${String(u.size).padStart(12)}  ${new Date(u.at).toISOString()}`)
        cursor = page.nextCursor
      } while (cursor)
      return 0
    }
    case 'stat': {
      const cid = need('a CID')
      out(
        JSON.stringify(
          await (await call(node, 'GET', `/v1/storage/files/${encodeURIComponent(cid)}/stat`)).json(),
          null,
          2,
        ),
      )
      return 0
    }
    case 'pin':
    case 'unpin': {
      const cid = need('a CID')
      await call(node, action === 'pin' ? 'POST' : 'DELETE', `/v1/storage/pins/${encodeURIComponent(cid)}`)
      out(`${cid} ${action === 'pin' ? 'pinned' : 'unpinned'}`)
      return 0
    }
    case 'archive':
      return archive(node, p, progress, out)
    case 'gc': {
      const r = (await (await call(node, 'POST', '/v1/storage/gc')).json()) as Record<string, number>
      out(
        `expired uploads ${r.expiredUploads}, deleted ${r.deletedBlocks} blocks (${r.deletedBytes} bytes), kept ${r.keptBlocks}`,
      )
      return 0
    }
    default:
      throw new SteleError('STELE_CONFIG', `usage: ${storageSpec.usage}`)
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

/** A UTC day as the inclusive range of its epoch milliseconds. */
export function dayRange(day: string): { from: number; to: number } {
  const from = DAY.test(day) ? Date.parse(`${day}T00:00:00.000Z`) : Number.NaN
  if (!Number.isFinite(from) || new Date(from).toISOString().slice(0, 10) !== day)
    throw new SteleError('STELE_CONFIG', `--day must be a date YYYY-MM-DD, got ${JSON.stringify(day)}`)
  return { from, to: from + 86_400_000 - 1 }
}

/**
 * `stele storage archive --device D --day YYYY-MM-DD [--drive ID]`: the device's NDJSON export of that UTC day
 * (readings with their proofs) streamed from the node straight back into it as a file; its CID is printed, and with
 * --drive the file is put in the drive as `<device>-<day>.ndjson`, signed with the wallet key (--key).
 */
async function archive(
  node: string,
  p: Parsed,
  progress: NodeJS.WritableStream | undefined,
  out: (s: string) => void,
): Promise<number> {
  const device = strOption(p, 'device')
  const day = strOption(p, 'day')
  if (!device || !day) throw new SteleError('STELE_CONFIG', 'stele storage archive needs --device and --day')
  const { from, to } = dayRange(day)
  const q = `from=${from}&to=${to}&format=ndjson`
  const res = await call(node, 'GET', `/v1/devices/${encodeURIComponent(device)}/export?${q}`)
  const added = (await (
    await call(node, 'POST', '/v1/storage/files', {
      headers: { 'content-type': 'application/octet-stream' },
      body: requestBody(withProgress(download(res, undefined), 'archive', progress as never)),
      duplex: 'half',
    } as RequestInit)
  ).json()) as { cid: string; size: number }
  out(`${added.cid}  ${added.size} bytes, ${device} on ${day}`)
  const driveArg = strOption(p, 'drive')
  if (!driveArg) return 0
  const drive = fromHex(driveArg, '--drive', 32)
  const client = new LedgerClient(node)
  const key = await readWalletKey(strOption(p, 'key') ?? DEFAULT_WALLET, passphraseFrom(p))
  const name = `${device}-${day}.ndjson`
  const r = await putInDrive(client, await client.genesis(), key, { drive, name, cid: added.cid }, 60_000)
  out(`put in drive ${driveArg} as ${name} in block ${r.height} (${r.blockHash})`)
  return 0
}
