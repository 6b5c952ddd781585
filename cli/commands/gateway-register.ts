import { fromHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { readKeyFile } from '../../core/key-file.ts'
import { encodeGatewayRegistration } from '../../core/payloads.ts'
import { signTx, TX_TYPES } from '../../core/transaction.ts'
import { listOption, type Parsed, strOption } from '../args.ts'

/**
 * `stele gateway register`: signs a GATEWAY_REGISTER transaction with the authority key and submits it to a node.
 * The node refuses it unless the signer is the genesis authority, so an open port grants nothing.
 */
export async function registerGateway(
  p: Parsed,
  out: (s: string) => void,
  now: () => number = Date.now,
): Promise<number> {
  const node = (listOption(p, 'node')[0] ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
  const keyHex = strOption(p, 'key')
  const authorityFile = strOption(p, 'authority')
  if (!keyHex || !authorityFile)
    throw new SteleError(
      'STELE_CONFIG',
      "register needs --key <gateway public key hex> and --authority <key file>; see 'stele gateway --help'",
    )
  const authority = await readKeyFile(authorityFile)
  if (!authority) throw new SteleError('STELE_CONFIG', `no key file at ${authorityFile}`)
  const devices = (strOption(p, 'devices') ?? '').split(',').filter(Boolean)
  const health = await fetchJson(`${node}/v1/health`)
  const tx = signTx(
    {
      type: TX_TYPES.GATEWAY_REGISTER,
      chainId: String(health['chainId']),
      signer: authority.publicKey,
      nonce: now(),
      payload: encodeGatewayRegistration({
        gateway: fromHex(keyHex, '--key', 32),
        name: strOption(p, 'name') ?? 'gateway',
        devices,
      }),
    },
    authority.secretKey,
  )
  const res = await fetchJson(`${node}/v1/transactions`, { tx: Buffer.from(tx.bytes).toString('base64') })
  out(`gateway ${keyHex} registered (transaction ${res['hash']}, ${res['status']})`)
  return 0
}

async function fetchJson(url: string, body?: unknown): Promise<{ [k: string]: unknown }> {
  let res: Response
  try {
    res = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    })
  } catch (e) {
    throw new SteleError(
      'STELE_UNAVAILABLE',
      `cannot reach the node at ${url}: ${(e as Error).message}; is it running?`,
      { cause: e },
    )
  }
  const json = (await res.json()) as { [k: string]: unknown; error?: { code: string; message: string } }
  if (!res.ok)
    throw new SteleError(
      'STELE_UNAVAILABLE',
      `node refused: ${json.error?.message ?? res.status} [${json.error?.code}]`,
    )
  return json
}
