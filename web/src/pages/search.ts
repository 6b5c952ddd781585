import {
  type AccountView,
  ApiError,
  type BlockView,
  getJson,
  getOrNull,
  listDevices,
  type Reading,
  type TxView,
} from '../api.ts'
import { h, link, mono, notice } from '../dom.ts'
import type { PageContext } from '../router.ts'

/** How far back a block hash is looked for: the API finds blocks by height only (a by-hash route would end this scan). */
const HASH_SCAN_BLOCKS = 1000

interface Hit {
  href: string
  label: string
}

/** Height, block or transaction hash, account key, reading id, device id (exact, else by substring) or CID. One hit opens it. */
export async function searchPage(ctx: PageContext): Promise<void> {
  const { main, signal, query } = ctx
  const q = (query.get('q') ?? '').trim()
  const input = document.getElementById('q') as HTMLInputElement | null
  if (input) input.value = q
  main.append(h('h1', null, 'Search'))
  if (!q) {
    main.append(
      h(
        'p',
        null,
        'Search by block height, block or transaction hash, account key, reading id, device id or CID.',
      ),
    )
    return
  }
  const hits: Hit[] = []
  if (/^\d+$/.test(q)) {
    const b = await getOrNull<BlockView>(`/v1/blocks/${Number(q)}`, signal)
    if (b) hits.push({ href: `/blocks/${b.height}`, label: `Block ${b.height}` })
  }
  if (/^[0-9a-fA-F]{64}$/.test(q)) {
    const hex = q.toLowerCase()
    const [tx, reading, block] = await Promise.all([
      getOrNull<TxView>(`/v1/transactions/${hex}`, signal),
      getOrNull<Reading>(`/v1/readings/${hex}`, signal),
      blockByHash(hex, signal),
    ])
    if (tx) hits.push({ href: `/tx/${hex}`, label: `Transaction (${tx.type})` })
    if (reading)
      hits.push({ href: `/readings/${hex}`, label: `Reading of ${reading.device}/${reading.sensor}` })
    if (block) hits.push({ href: `/blocks/${block}`, label: `Block ${block}` })
    // Every 64-hex string is an account key; one is offered when it has been used, or when nothing else matched.
    const account = await accountOrNull(hex, signal)
    if (
      account &&
      (account.nonce > 0 || account.balance !== '0' || account.roles.length || hits.length === 0)
    )
      hits.push({ href: `/accounts/${hex}`, label: `Account (nonce ${account.nonce})` })
  }
  if (/^(bafy|bafk|Qm)[A-Za-z0-9]{20,}$/.test(q)) {
    const stat = await getOrNull<{ cid: string }>(`/v1/storage/files/${q}/stat`, signal).catch(() => null)
    if (stat) hits.push({ href: `/storage/${stat.cid}`, label: `File ${stat.cid}` })
  }
  const devices = await listDevices(signal)
  const exact = devices.find((d) => d.device === q)
  if (exact) hits.push({ href: `/devices/${encodeURIComponent(q)}`, label: `Device ${q}` })
  // Devices whose id merely contains the text are offered only when nothing matched exactly.
  if (hits.length === 0)
    for (const d of devices.filter((d) => d.device.toLowerCase().includes(q.toLowerCase())).slice(0, 50))
      hits.push({ href: `/devices/${encodeURIComponent(d.device)}`, label: `Device ${d.device}` })

  if (hits.length === 1) {
    ctx.navigate(hits[0]!.href, true)
    return
  }
  if (hits.length === 0) {
    main.append(notice('info', 'Nothing found for ', mono(q), '.'))
    return
  }
  main.append(h('ul', { class: 'hits' }, ...hits.map((x) => h('li', null, link(x.href, x.label)))))
}

async function accountOrNull(key: string, signal: AbortSignal): Promise<AccountView | null> {
  try {
    return await getJson<AccountView>(`/v1/accounts/${key}`, signal)
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.code === 'STELE_UNAVAILABLE')) return null
    throw e
  }
}

async function blockByHash(hash: string, signal: AbortSignal): Promise<number | null> {
  const tip = await getJson<{ height: number }>('/v1/chain', signal)
  for (let top = tip.height; top >= 1 && tip.height - top < HASH_SCAN_BLOCKS; top -= 100) {
    const from = Math.max(1, top - 99)
    const page = await getJson<{ items: BlockView[] }>(`/v1/blocks?from=${from}&limit=100`, signal)
    const hit = page.items.find((b) => b.hash === hash)
    if (hit) return hit.height
  }
  return null
}
