import { ApiError, getJson } from '../api.ts'
import type { Chart } from '../chart.ts'
import { h, link, short, timeText } from '../dom.ts'
import type { ContractEvent } from '../stream.ts'

interface ContractSummary {
  id: string
  name: string
  filter: { devices: string[] }
}

/** What a contract event says about a reading: the examples emit { device, sensor, value, at }. */
interface EventData {
  device?: unknown
  sensor?: unknown
  value?: unknown
  at?: unknown
  time?: unknown
}

const dataOf = (e: ContractEvent): EventData =>
  e.data && typeof e.data === 'object' ? (e.data as EventData) : {}
const timeOf = (d: EventData): number | null =>
  typeof d.at === 'number' ? d.at : typeof d.time === 'number' ? d.time : null

/**
 * Contract events about one device, marked on its sensor's chart (at the time the event names) and listed below the
 * charts: history from GET /v1/contracts/:id/events of every contract whose filter can match the device, then live
 * from the stream's contracts channel through `add`.
 */
export async function contractEvents(
  device: string,
  views: { name: string; chart: Chart }[],
  signal: AbortSignal,
): Promise<{ el: HTMLElement; contracts: string[]; add: (e: ContractEvent) => void }> {
  let contracts: ContractSummary[] = []
  try {
    contracts = (await getJson<{ items: ContractSummary[] }>('/v1/contracts', signal)).items.filter(
      (c) => c.filter.devices.length === 0 || c.filter.devices.includes(device),
    )
  } catch (e) {
    // A node without the executor: no events to mark.
    if (!(e instanceof ApiError)) throw e
  }
  const names = new Map(contracts.map((c) => [c.id, c.name || short(c.id)]))
  const seen = new Set<string>()
  const list = h('ul', { id: 'contract-events', class: 'events' })
  const kept: ContractEvent[] = []
  const redraw = () => {
    for (const v of views)
      v.chart.setMarks(
        kept.flatMap((e) => {
          const d = dataOf(e)
          const at = timeOf(d)
          return at !== null && (d.sensor === undefined || d.sensor === v.name)
            ? [{ x: at, label: e.name }]
            : []
        }),
      )
  }
  const item = (e: ContractEvent) => {
    const d = dataOf(e)
    const at = timeOf(d)
    return h(
      'li',
      { 'data-event': e.name },
      h('strong', null, e.name),
      ` ${at === null ? '' : timeText(at)} `,
      typeof d.sensor === 'string' ? `${d.sensor} ` : '',
      typeof d.value === 'number' ? `${d.value} ` : '',
      'from ',
      link(`/contracts/${e.contract}`, names.get(e.contract) ?? short(e.contract)),
      ' in block ',
      link(`/blocks/${e.height}`, String(e.height)),
    )
  }
  const add = (e: ContractEvent, live = true) => {
    const key = `${e.result}:${e.index}`
    if (dataOf(e).device !== device || seen.has(key)) return
    seen.add(key)
    kept.push(e)
    while (kept.length > 200) kept.shift()
    if (live) list.prepend(item(e))
    else list.append(item(e))
    while (list.children.length > 20) list.lastElementChild?.remove()
    redraw()
  }
  const pages = await Promise.all(
    contracts.map((c) =>
      getJson<{ items: ContractEvent[] }>(`/v1/contracts/${c.id}/events?limit=100`, signal).catch(() => ({
        items: [],
      })),
    ),
  )
  for (const e of pages.flatMap((p) => p.items).sort((a, b) => b.height - a.height)) add(e, false)
  const el = h(
    'div',
    { class: 'contract-events' },
    h('h3', null, 'Contract events'),
    contracts.length
      ? h('p', { class: 'muted small' }, 'Marked on the chart in red at the time the event names.')
      : h('p', { class: 'muted small' }, 'No contract runs on this device.'),
    list,
  )
  return { el, contracts: contracts.map((c) => c.id), add: (e) => add(e) }
}
