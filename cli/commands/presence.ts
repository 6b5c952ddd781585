import { fromHex, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { NodeList } from '../../core/node-list.ts'
import type { PresenceClient } from '../../core/presence/client.ts'
import { circuitNodes, PresenceHost, p2pAddressesOf } from '../../node/p2p/presence-client.ts'
import { listOption, parse, strOption } from '../args.ts'
import { readWalletKey } from '../wallet-key.ts'
import { DEFAULT_NODE, DEFAULT_WALLET } from './account.ts'
import { presenceSpec } from './presence-spec.ts'

/** Chain id, circuit nodes and dialable addresses from the nodes given (and the list the chain keeps). */
async function connect(urls: string[]): Promise<{ host: PresenceHost; list: NodeList }> {
  const list = new NodeList({ bootstrap: urls.length > 0 ? urls : [DEFAULT_NODE] })
  await list.refresh()
  const info = await fetch(`${list.current()}/v1/chain`, { signal: AbortSignal.timeout(5000) })
    .then((r) => r.json() as Promise<{ chainId: string }>)
    .catch((cause) => {
      throw new SteleError('STELE_UNAVAILABLE', `cannot reach ${list.current()}`, { cause })
    })
  const peers = (
    await Promise.all(list.addresses.map((u) => p2pAddressesOf(u).catch(() => [] as string[])))
  ).flat()
  if (peers.length === 0)
    throw new SteleError('STELE_UNAVAILABLE', 'none of the nodes given is on a network (no p2p address)')
  return { host: await PresenceHost.start({ chainId: info.chainId, peers }), list }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
}

function waitRegistered(c: PresenceClient, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      clearInterval(i)
      reject(new SteleError('STELE_CIRCUIT_FAILED', `not registered after ${ms} ms (${c.state.state})`))
    }, ms)
    const i = setInterval(() => {
      if (c.state.state !== 'registered') return
      clearInterval(i)
      clearTimeout(t)
      resolve()
    }, 50)
  })
}

export async function presenceCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(presenceSpec, argv)
  if (p === 'help') return -1
  const [sub, ...args] = p.positionals
  const json = p.values['json'] === true
  const timeoutMs = Number(strOption(p, 'timeout') ?? 30000)
  if (sub !== 'up' && sub !== 'send' && sub !== 'lookup')
    throw new SteleError('STELE_BAD_REQUEST', 'stele presence up | send <key> <message> | lookup <key>')
  const { host, list } = await connect(listOption(p, 'node'))
  try {
    if (sub === 'lookup') {
      const key = fromHex(args[0] ?? '', 'account key', 32)
      const found = await host.lookup(key)
      const rows = found.map((r) => ({ presenceNode: toHex(r.presenceNode), expiry: r.expiry }))
      if (json) out(JSON.stringify({ key: toHex(key), records: rows }))
      else if (rows.length === 0) out(`no presence record for ${toHex(key)}`)
      else for (const r of rows) out(`${r.presenceNode}  until ${new Date(r.expiry).toISOString()}`)
      return rows.length > 0 ? 0 : 1
    }
    const account = await readWalletKey(
      strOption(p, 'key') ?? DEFAULT_WALLET,
      strOption(p, 'passphrase') ?? process.env['STELE_PASSPHRASE'],
    )
    const nodes = circuitNodes([...list.nodes.values()])
    const filter = strOption(p, 'subscribe')
    let subscribed = false
    const client = host.client({
      account,
      nodes: () => nodes,
      ttlMs: Number(strOption(p, 'ttl') ?? 60000),
      onMessage: (e) => {
        const text = new TextDecoder().decode(e.data)
        out(
          json
            ? JSON.stringify({ type: 'message', from: toHex(e.from), time: e.time, text })
            : `${toHex(e.from)}: ${text}`,
        )
      },
      onEvent: (subId, data) => {
        const text = new TextDecoder().decode(data)
        out(json ? JSON.stringify({ type: 'event', subId, event: text }) : text)
      },
      onState: (s) => {
        if (s.state === 'building') subscribed = false
        if (s.state === 'registered') {
          const line = { type: 'registered', presenceNode: toHex(s.presenceNode), expiry: s.expiry }
          if (json) out(JSON.stringify(line))
          else
            process.stderr.write(
              `# registered at ${line.presenceNode} until ${new Date(s.expiry).toISOString()}\n`,
            )
          // A rebuilt circuit starts without the forwarded subscription: ask again.
          if (filter && !subscribed) {
            subscribed = true
            client.subscribe(filter)
          }
        } else if (s.state === 'down') process.stderr.write(`# circuit down: ${s.error.message}\n`)
      },
    })
    client.start()
    try {
      if (sub === 'send') {
        await waitRegistered(client, timeoutMs)
        const to = fromHex(args[0] ?? '', 'recipient key', 32)
        await client.send(to, new TextEncoder().encode(args.slice(1).join(' ')))
        out(
          json ? JSON.stringify({ sent: true, to: toHex(to) }) : `delivered to ${toHex(to)}'s presence node`,
        )
        return 0
      }
      await untilSignal()
      return 0
    } finally {
      client.stop()
    }
  } finally {
    await host.stop()
  }
}
