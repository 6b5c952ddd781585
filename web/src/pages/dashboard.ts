import {
  type BlockView,
  type ChainInfo,
  type Device,
  type Gateway,
  getJson,
  type Health,
  listDevices,
} from '../api.ts'
import { timeChart } from '../chart.ts'
import { h, link, mono, short, table, timeText } from '../dom.ts'
import type { PageContext } from '../router.ts'
import { subscribe } from '../stream.ts'

const WINDOW = 100
/** Readings per second over the confirmations of the last minute. */
const RATE_WINDOW_MS = 60_000

function stat(id: string, label: string): { el: HTMLElement; set: (v: string) => void } {
  const value = h('dd', { id: `stat-${id}` }, '…')
  return {
    el: h('div', { class: 'stat' }, h('dt', null, label), value),
    set: (v) => {
      value.textContent = v
    },
  }
}

export async function dashboardPage(ctx: PageContext): Promise<void> {
  const { main, signal } = ctx
  const [chain, health, blocks, gateways, devices] = await Promise.all([
    getJson<ChainInfo>('/v1/chain', signal),
    getJson<Health>('/v1/health', signal),
    getJson<{ items: BlockView[] }>(`/v1/blocks?limit=${WINDOW}`, signal),
    getJson<{ items: Gateway[] }>('/v1/gateways', signal),
    listDevices(signal),
  ])
  const recent = blocks.items.slice().reverse() // oldest first, for the chart and the rate

  const height = stat('height', 'Chain height')
  const producers = stat('producers', 'Producers')
  const blockRate = stat('blocks-rate', 'Blocks/s')
  const readingRate = stat('readings-rate', 'Readings/s (confirmed)')
  const gwOnline = stat('gateways', 'Gateways online')
  const devOnline = stat('devices', 'Devices online')
  const chart = timeChart(
    'Transactions per block, last 100 blocks',
    [{ label: 'transactions', stroke: '#2563eb', fill: '#2563eb33' }],
    { height: 180, bars: true },
  )
  const blockRows = h('tbody')
  main.append(
    h('h1', null, 'Dashboard'),
    h('p', { class: 'muted' }, `Chain ${chain.chainId}`),
    h(
      'dl',
      { class: 'stats' },
      height.el,
      producers.el,
      blockRate.el,
      readingRate.el,
      gwOnline.el,
      devOnline.el,
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-chart' },
      h('h2', { id: 'h-chart' }, 'Transactions per block'),
      chart.el,
    ),
    h(
      'div',
      { class: 'cols' },
      h(
        'section',
        { 'aria-labelledby': 'h-blocks' },
        h('h2', { id: 'h-blocks' }, 'Latest blocks ', link('/blocks', 'all', 'small')),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            null,
            h('caption', { class: 'sr' }, 'Latest blocks'),
            h(
              'thead',
              null,
              h('tr', null, ...['Height', 'Txs', 'Time', 'Hash'].map((c) => h('th', { scope: 'col' }, c))),
            ),
            blockRows,
          ),
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'h-devices' },
        h('h2', { id: 'h-devices' }, 'Devices'),
        deviceTable(devices),
      ),
    ),
  )

  const blockRow = (b: BlockView) =>
    h(
      'tr',
      null,
      h('td', null, link(`/blocks/${b.height}`, String(b.height))),
      h('td', null, b.txCount),
      h('td', null, timeText(b.time).slice(11)),
      h('td', null, mono(short(b.hash), b.hash)),
    )
  const drawBlocks = () => {
    const last = recent[recent.length - 1]
    height.set(String(last?.height ?? chain.height))
    const seen = new Set(recent.map((b) => b.producer))
    // The set of the next block (genesis and registered producers), not genesis alone.
    const set = health.producers ?? chain.genesis.producers
    producers.set(
      `${set.length} (${chain.genesis.producers.length} in genesis), ${seen.size} recently active`,
    )
    const first = recent[0]
    blockRate.set(
      first && last && last.time > first.time
        ? ((recent.length - 1) / ((last.time - first.time) / 1000)).toFixed(2)
        : '—',
    )
    chart.setData(
      recent.map((b) => b.time),
      [recent.map((b) => b.txCount)],
    )
    blockRows.replaceChildren(...recent.slice(-10).reverse().map(blockRow))
  }
  drawBlocks()
  // The network (GET /v1/nodes, /v1/health) after the first chart: it does not hold the page back.
  const nodesBox = h(
    'section',
    { 'aria-labelledby': 'h-nodes', id: 'nodes' },
    h('h2', { id: 'h-nodes' }, 'Nodes'),
  )
  main.append(nodesBox)
  void nodesSection(nodesBox, signal).catch(() =>
    nodesBox.append(h('p', { class: 'muted' }, 'Not reported.')),
  )

  // Online state comes from the stream's status snapshot (sent right after `live`), then changes.
  const online = { device: new Map<string, boolean>(), gateway: new Map<string, boolean>() }
  const drawOnline = () => {
    const count = (m: Map<string, boolean>) => [...m.values()].filter(Boolean).length
    gwOnline.set(`${count(online.gateway)} of ${Math.max(gateways.items.length, online.gateway.size)}`)
    devOnline.set(`${count(online.device)} of ${Math.max(devices.length, online.device.size)}`)
    for (const [id, up] of online.device) {
      const cell = main.querySelector(`[data-online="${CSS.escape(id)}"]`)
      if (cell) {
        cell.textContent = up ? 'online' : 'offline'
        cell.className = up ? 'ok' : 'muted'
      }
    }
  }
  drawOnline()
  const confirmed: { time: number; records: number }[] = []
  subscribe(
    { channels: ['blocks', 'status', 'confirmations'] },
    {
      block: (b) => {
        recent.push(b)
        if (recent.length > WINDOW) recent.shift()
        drawBlocks()
      },
      status: (s) => {
        if (s.kind === 'device' || s.kind === 'gateway') {
          online[s.kind].set(s.id, s.state === 'online')
          drawOnline()
        }
      },
      confirmation: (c) => {
        const now = Date.now()
        confirmed.push({ time: now, records: c.batches.reduce((n, b) => n + b.records, 0) })
        while (confirmed.length && confirmed[0]!.time < now - RATE_WINDOW_MS) confirmed.shift()
        const span = Math.max(1000, now - confirmed[0]!.time)
        const total = confirmed.slice(1).reduce((n, x) => n + x.records, 0)
        readingRate.set(confirmed.length > 1 ? (total / (span / 1000)).toFixed(1) : 'measuring…')
      },
    },
    signal,
  )
  readingRate.set('measuring…')
}

function deviceTable(devices: Device[]): HTMLElement {
  return table(
    'Devices',
    ['Device', 'Latest values', 'Readings', 'State'],
    devices.map((d) => [
      link(`/devices/${encodeURIComponent(d.device)}`, d.device),
      Object.entries(d.sensors)
        .map(([k, s]) => `${k} ${Number(s.value).toFixed(2)}${s.unit ?? ''}`)
        .join(', '),
      d.readings,
      h('span', { 'data-online': d.device, class: 'muted' }, '…'),
    ]),
  )
}

interface NodeView {
  key: string
  genesisProducer: boolean
  roles: string[]
  endpoints: string[]
  self: boolean
  connected: boolean
  head?: number
}

/** Producers and the other nodes the chain knows, each with its roles, the head it has shown, and the link state. */
async function nodesSection(box: HTMLElement, signal: AbortSignal): Promise<void> {
  const [nodes, health] = await Promise.all([
    getJson<{ nodes: NodeView[] }>('/v1/nodes', signal),
    getJson<{
      network?: { peers: { id: string; connected: boolean }[]; syncing: boolean; finalHeight: number }
    }>('/v1/health', signal),
  ])
  const net = health.network
  box.append(
    h(
      'p',
      { class: 'muted', id: 'network-line' },
      net
        ? `${net.peers.filter((p) => p.connected).length} peer(s) connected; final height ${net.finalHeight}${net.syncing ? '; syncing' : ''}`
        : 'This node runs alone (no network).',
    ),
    table(
      'Nodes',
      ['Node', 'Roles', 'Head', 'Link'],
      nodes.nodes.map((n) => [
        link(`/accounts/${n.key}`, short(n.key)),
        `${n.roles.join(', ') || 'none'}${n.genesisProducer ? ' (genesis)' : ''}`,
        n.head === undefined ? '—' : link(`/blocks/${n.head}`, String(n.head)),
        n.self
          ? 'this node'
          : n.connected
            ? h('span', { class: 'ok' }, 'connected')
            : h('span', { class: 'muted' }, 'not connected'),
      ]),
      'nodes',
    ),
  )
}
