import { type AggregateBucket, type Device, getJson, listDevices, type Reading } from '../api.ts'
import { type Chart, timeChart } from '../chart.ts'
import { fields, h, link, mono, notice, short, table, timeText } from '../dom.ts'
import type { PageContext } from '../router.ts'
import { subscribe } from '../stream.ts'
import { contractEvents } from './device-events.ts'

const MIN = 60_000
const SPANS: [string, number][] = [
  ['5 min', 5 * MIN],
  ['15 min', 15 * MIN],
  ['1 hour', 60 * MIN],
  ['6 hours', 360 * MIN],
  ['1 day', 1440 * MIN],
  ['7 days', 7 * 1440 * MIN],
  ['30 days', 30 * 1440 * MIN],
  ['6 months', 182 * 1440 * MIN],
]
/** At or below this span the chart shows raw readings; above it, rollup buckets from /aggregate. */
const RAW_MAX_SPAN = 15 * MIN
const RAW_LIMIT = 1000
const EVERY: [string, number][] = [
  ['1m', MIN],
  ['5m', 5 * MIN],
  ['15m', 15 * MIN],
  ['1h', 60 * MIN],
  ['6h', 360 * MIN],
  ['1d', 1440 * MIN],
  ['1w', 7 * 1440 * MIN],
]
const MAX_BUCKETS = 500

/** The smallest bucket the aggregate route takes that keeps the chart under MAX_BUCKETS points. */
export function pickEvery(span: number): [string, number] {
  return EVERY.find(([, ms]) => span / ms <= MAX_BUCKETS) ?? EVERY[EVERY.length - 1]!
}

export async function devicesPage({ main, signal }: PageContext): Promise<void> {
  const devices = await listDevices(signal)
  main.append(
    h('h1', null, 'Devices'),
    table(
      'Devices',
      ['Device', 'Sensors', 'Readings', 'Last seen'],
      devices.map((d) => [
        link(`/devices/${encodeURIComponent(d.device)}`, d.device),
        Object.keys(d.sensors).join(', '),
        d.readings,
        timeText(d.lastSeen),
      ]),
    ),
  )
}

interface SensorView {
  name: string
  chart: Chart
  x: number[]
  mean: (number | null)[]
  min: (number | null)[]
  max: (number | null)[]
  /** Running count and sum of the last bucket, to fold live readings in. */
  lastCount: number
}

export async function devicePage(ctx: PageContext): Promise<void> {
  const { main, signal, params } = ctx
  const id = params['device']!
  const base = `/v1/devices/${encodeURIComponent(id)}`
  const d = await getJson<Device>(base, signal)
  const sensors = Object.keys(d.sensors).sort()

  let span = RAW_MAX_SPAN
  // One clock read: two would make the span a millisecond longer than 15 min now and then, and so not raw.
  const now = Date.now()
  let range = { from: now - span, to: now, live: true }
  let mode: 'raw' | string = 'raw'

  const modeText = h('p', { class: 'muted', id: 'chart-mode', 'aria-live': 'polite' })
  const spanButtons = SPANS.map(([label, ms]) =>
    h(
      'button',
      { type: 'button', 'aria-pressed': String(ms === span), onclick: () => void setSpan(ms) },
      label,
    ),
  )
  const views: SensorView[] = sensors.map((name) => {
    const unit = d.sensors[name]!.unit ?? ''
    const chart = timeChart(
      `${name} over time`,
      [
        { label: `${name}${unit ? ` (${unit})` : ''}`, stroke: '#2563eb', width: 2 },
        { label: 'min', stroke: '#93c5fd' },
        { label: 'max', stroke: '#1e3a8a' },
      ],
      { onZoom: (from, to) => void setRange(from, to, false) },
    )
    return { name, chart, x: [], mean: [], min: [], max: [], lastCount: 0 }
  })
  const readingRows = h('tbody')
  main.append(
    h('h1', null, id),
    fields([
      ['Gateway', mono(short(d.gateway), d.gateway)],
      ['Sensors', sensors.map((s) => `${s} ${d.sensors[s]!.value}${d.sensors[s]!.unit ?? ''}`).join(', ')],
      ['Readings', String(d.readings)],
      ['First seen', timeText(d.firstSeen)],
      ['Last seen', timeText(d.lastSeen)],
    ]),
    h(
      'section',
      { 'aria-labelledby': 'h-charts' },
      h('h2', { id: 'h-charts' }, 'Charts'),
      h('div', { class: 'zoom', role: 'group', 'aria-label': 'Time span' }, ...spanButtons),
      modeText,
      h('p', { class: 'muted small' }, 'Drag across a chart to zoom into a range.'),
      ...views.map((v) => h('div', { class: 'sensor' }, h('h3', null, v.name), v.chart.el)),
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-latest' },
      h('h2', { id: 'h-latest' }, 'Latest readings'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { id: 'latest' },
          h('caption', { class: 'sr' }, 'Latest readings'),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ...['Time', 'Sensor', 'Value', 'Status', 'Block', 'Reading'].map((c) =>
                h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          readingRows,
        ),
      ),
    ),
  )

  const load = async () => {
    const { from, to } = range
    const s = to - from
    mode = s <= RAW_MAX_SPAN ? 'raw' : pickEvery(s)[0]
    modeText.textContent =
      mode === 'raw'
        ? `Raw readings, ${timeText(from)} to ${range.live ? 'now (live)' : timeText(to)}`
        : `${mode} buckets (mean, min, max), ${timeText(from)} to ${range.live ? 'now (live)' : timeText(to)}`
    await Promise.all(
      views.map(async (v) => {
        const q = new URLSearchParams({ sensor: v.name, from: String(from), to: String(to) })
        if (mode === 'raw') {
          q.set('limit', String(RAW_LIMIT))
          q.set('order', 'desc')
          const page = await getJson<{ items: Reading[] }>(`${base}/readings?${q}`, signal)
          const items = page.items.reverse()
          v.x = items.map((r) => r.time)
          v.mean = items.map((r) => r.value)
          v.min = items.map(() => null)
          v.max = items.map(() => null)
          v.lastCount = 1
        } else {
          q.set('every', mode)
          q.set('fn', 'count,min,max,mean')
          const agg = await getJson<{ items: AggregateBucket[] }>(`${base}/aggregate?${q}`, signal)
          v.x = agg.items.map((b) => b.start)
          v.mean = agg.items.map((b) => b.mean ?? null)
          v.min = agg.items.map((b) => b.min ?? null)
          v.max = agg.items.map((b) => b.max ?? null)
          v.lastCount = agg.items[agg.items.length - 1]?.count ?? 0
        }
        v.chart.setData(v.x, [v.mean, v.min, v.max])
      }),
    )
  }
  const setRange = async (from: number, to: number, live: boolean) => {
    range = { from, to, live }
    for (const b of spanButtons) b.setAttribute('aria-pressed', 'false')
    await load()
  }
  const setSpan = async (ms: number) => {
    span = ms
    const now = Date.now()
    range = { from: now - ms, to: now, live: true }
    for (const [i, b] of spanButtons.entries()) b.setAttribute('aria-pressed', String(SPANS[i]![1] === ms))
    await load()
  }

  const rows = new Map<string, HTMLTableRowElement>()
  const row = (r: Reading) => {
    const tr = h(
      'tr',
      { 'data-id': r.id, 'data-tx': r.txHash },
      h('td', null, timeText(r.time).slice(11)),
      h('td', null, r.sensor),
      h('td', null, `${r.value}${r.unit ?? ''}`),
      h('td', { class: `status ${r.status}` }, r.status),
      h('td', null, r.blockHeight === null ? '' : link(`/blocks/${r.blockHeight}`, String(r.blockHeight))),
      h('td', null, link(`/readings/${r.id}`, short(r.id))),
    )
    rows.set(r.id, tr)
    return tr
  }
  const latest = await getJson<{ items: Reading[] }>(`${base}/readings?order=desc&limit=20`, signal)
  readingRows.replaceChildren(...latest.items.map(row))
  await load()
  const events = await contractEvents(id, views, signal)
  main.querySelector('section[aria-labelledby="h-charts"]')?.append(events.el)

  subscribe(
    {
      channels: ['readings', 'confirmations', ...(events.contracts.length ? ['contracts'] : [])],
      device: [id],
      contract: events.contracts,
    },
    {
      contractEvent: events.add,
      reading: (r) => {
        readingRows.prepend(row(r))
        while (readingRows.rows.length > 20) {
          const last = readingRows.lastElementChild as HTMLTableRowElement
          rows.delete(last.dataset['id']!)
          last.remove()
        }
        if (range.live) foldLive(r)
      },
      confirmation: (c) => {
        const txs = new Set(c.batches.map((b) => b.tx))
        for (const tr of rows.values()) {
          if (!txs.has(tr.dataset['tx']!)) continue
          const status = tr.cells[3]!
          status.textContent = 'confirmed'
          status.className = 'status confirmed'
          tr.cells[4]!.replaceChildren(link(`/blocks/${c.height}`, String(c.height)))
        }
      },
    },
    signal,
  )

  /** A live reading extends its sensor's chart: a point when raw, folded into the newest bucket when aggregated. */
  function foldLive(r: Reading): void {
    const v = views.find((x) => x.name === r.sensor)
    if (!v) return
    range.to = Math.max(range.to, r.time)
    range.from = range.to - span
    if (mode === 'raw') {
      v.x.push(r.time)
      v.mean.push(r.value)
      v.min.push(null)
      v.max.push(null)
    } else {
      const every = pickEvery(span)[1]
      const start = Math.floor(r.time / every) * every
      const i = v.x.length - 1
      if (v.x[i] === start) {
        const n = v.lastCount
        v.mean[i] = ((v.mean[i] ?? r.value) * n + r.value) / (n + 1)
        v.min[i] = Math.min(v.min[i] ?? r.value, r.value)
        v.max[i] = Math.max(v.max[i] ?? r.value, r.value)
        v.lastCount = n + 1
      } else {
        v.x.push(start)
        v.mean.push(r.value)
        v.min.push(r.value)
        v.max.push(r.value)
        v.lastCount = 1
      }
    }
    while (v.x.length && v.x[0]! < range.from) {
      v.x.shift()
      v.mean.shift()
      v.min.shift()
      v.max.shift()
    }
    v.chart.setData(v.x, [v.mean, v.min, v.max])
  }

  if (sensors.length === 0) main.append(notice('info', 'This device has no readings yet.'))
}
