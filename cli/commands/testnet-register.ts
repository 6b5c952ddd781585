/**
 * What a local testnet puts on its chain once it runs, signed by the genesis authority (node 0's key): the gateway's
 * registration, and each node's node-register with its HTTP and p2p endpoints, so a client that knows one node's
 * address finds the others from the chain (GET /v1/nodes, core/node-list.ts). Every testnet node is a genesis
 * producer and keeps the producer role: registering a key already in the producer set leaves the set as it is
 * (node/consensus/producer-set.ts), and a registration without the role would show the node without it.
 */
import { ROLES } from '../../core/account.ts'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { encodeNodeRegistration } from '../../core/ledger-payloads.ts'
import { encodeGatewayRegistration } from '../../core/payloads.ts'
import { type SignedTx, signTx, TX_TYPES } from '../../core/transaction.ts'
import type { TestnetLayout } from './testnet-setup.ts'

/** The HTTP address of a testnet node on loopback. */
export const testnetUrl = (layout: TestnetLayout, i: number): string =>
  `http://127.0.0.1:${layout.nodes[i]!.httpPort}`

async function postTx(url: string, tx: SignedTx, what: string): Promise<void> {
  const r = await fetch(`${url}/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tx: Buffer.from(tx.bytes).toString('base64') }),
    signal: AbortSignal.timeout(10_000),
  })
  if (!r.ok && r.status !== 409)
    throw new SteleError('STELE_UNAVAILABLE', `${what}: HTTP ${r.status} ${await r.text()}`)
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  if (!r.ok) throw new SteleError('STELE_UNAVAILABLE', `GET ${url}: HTTP ${r.status} ${await r.text()}`)
  return (await r.json()) as T
}

/** Registers the gateway at `url` (gossip brings it to the others). */
export async function registerTestnetGateway(
  url: string,
  layout: TestnetLayout,
  gateway: Uint8Array,
): Promise<void> {
  const tx = signTx(
    {
      type: TX_TYPES.GATEWAY_REGISTER,
      chainId: layout.genesis.chainId,
      signer: layout.authority.publicKey,
      nonce: Date.now(),
      payload: encodeGatewayRegistration({ gateway, name: 'testnet gateway', devices: [] }),
    },
    layout.authority.secretKey,
  )
  await postTx(url, tx, 'gateway registration')
}

/**
 * Sends, through the node at `url`, a node-register for every testnet node whose HTTP address the chain does not
 * list yet (run again on the same folder, it sends none); resolves with how many it sent. It does not wait for a
 * block: GET /v1/nodes shows the endpoints once one holds them.
 */
export async function registerTestnetNodes(url: string, layout: TestnetLayout): Promise<number> {
  const { nodes } = await getJson<{ nodes: { key: string; endpoints?: string[] }[] }>(`${url}/v1/nodes`)
  const listed = new Map(nodes.map((n) => [n.key, n.endpoints ?? []]))
  const authority = toHex(layout.authority.publicKey)
  // The next nonce counting the authority's pending transactions, so the registrations follow one another.
  let nonce = (await getJson<{ pending: { nonce: number } }>(`${url}/v1/accounts/${authority}`)).pending.nonce
  let sent = 0
  for (const n of layout.nodes) {
    const http = testnetUrl(layout, n.index)
    if (listed.get(toHex(n.key.publicKey))?.includes(http)) continue
    const tx = signTx(
      {
        type: TX_TYPES.NODE_REGISTER,
        chainId: layout.genesis.chainId,
        signer: layout.authority.publicKey,
        nonce: nonce++,
        payload: encodeNodeRegistration({
          fee: 0n,
          node: n.key.publicKey,
          roles: ROLES.PRODUCER,
          endpoints: [http, n.p2pAddr],
        }),
      },
      layout.authority.secretKey,
    )
    await postTx(url, tx, `node-${n.index} registration`)
    sent++
  }
  return sent
}
