import { ApiError, getJson } from '../api.ts'
import { fields, h, link, mono, notice, short, table } from '../dom.ts'
import { apiUrl } from '../nodes.ts'
import type { PageContext } from '../router.ts'
import { emptyList, unavailable } from './not-yet.ts'

/** GET /v1/contracts and /v1/contracts/:id (docs/contracts.md). */
interface ContractSummary {
  id: string
  name: string
  owner: string
  codeCid: string
  height: number
  gasLimit: number
  filter: { devices: string[]; sensors: string[]; gateways: string[] }
  lastHeight: number
  results: number
  stateRoot: string
  pendingCalls: number
}

interface Contract extends ContractSummary {
  state: unknown
  calls: { hash: string; caller: string; fn: string; args: unknown; gas: number }[]
  mismatches: number
}

interface ContractResult {
  hash: string
  height: number
  call: string | null
  executor: string
  gasUsed: number
  status: 'ok' | 'out-of-gas' | 'error'
  message?: string
  events: { name: string; data: unknown }[]
}

interface ContractEvent {
  height: number
  result: string
  index: number
  name: string
  data: unknown
}

interface Evidence {
  height: number
  executor: string
  tx: string
  claimed: unknown
  recomputed: unknown
}

const any = (xs: string[]) => (xs.length ? xs.join(', ') : 'any')
const filterText = (f: ContractSummary['filter']) =>
  `devices ${any(f.devices)}; sensors ${any(f.sensors)}; gateways ${any(f.gateways.map(short))}`

export async function contractsPage({ main, signal }: PageContext): Promise<void> {
  main.append(h('h1', null, 'Contracts'))
  let items: ContractSummary[]
  try {
    items = (await getJson<{ items: ContractSummary[] }>('/v1/contracts', signal)).items
  } catch (e) {
    if (unavailable(main, e, 'this node has no contracts API.')) return
    throw e
  }
  if (items.length === 0) {
    main.append(
      emptyList('contracts-empty', 'No contracts deployed on this chain yet', 'stele contract deploy'),
    )
    return
  }
  main.append(
    table(
      'Deployed contracts',
      ['Name', 'Id', 'Owner', 'Deployed', 'Last run', 'Results', 'Calls waiting'],
      items.map((c) => [
        link(`/contracts/${c.id}`, c.name || short(c.id)),
        mono(short(c.id), c.id),
        link(`/accounts/${c.owner}`, short(c.owner)),
        link(`/blocks/${c.height}`, String(c.height)),
        c.lastHeight ? link(`/blocks/${c.lastHeight}`, String(c.lastHeight)) : '—',
        c.results,
        c.pendingCalls,
      ]),
      'contracts',
    ),
  )
}

/** One contract: code, trigger filter, state, calls waiting, results with their events, and re-execution checks. */
export async function contractPage({ main, signal, params }: PageContext): Promise<void> {
  const id = params['id']!
  main.append(h('h1', null, 'Contract'))
  let c: Contract
  try {
    c = await getJson<Contract>(`/v1/contracts/${encodeURIComponent(id)}`, signal)
  } catch (e) {
    if (unavailable(main, e, 'this node has no contracts API.')) return
    if (e instanceof ApiError && e.status === 404) {
      main.append(notice('warn', `No contract ${id} on this node.`))
      return
    }
    throw e
  }
  const [results, events, evidence, code] = await Promise.all([
    getJson<{ items: ContractResult[] }>(`/v1/contracts/${id}/results?limit=50`, signal),
    getJson<{ items: ContractEvent[] }>(`/v1/contracts/${id}/events?limit=50`, signal),
    getJson<{ items: Evidence[] }>(`/v1/contracts/${id}/evidence`, signal).catch(() => ({ items: [] })),
    codeText(c.codeCid, signal),
  ])
  main.append(
    fields([
      ['Name', c.name || '(none)'],
      ['Id (deploy transaction)', link(`/tx/${c.id}`, mono(c.id))],
      ['Owner', link(`/accounts/${c.owner}`, mono(c.owner))],
      ['Code', link(`/storage/${c.codeCid}`, mono(c.codeCid))],
      ['Deployed in block', link(`/blocks/${c.height}`, String(c.height))],
      ['Runs on', filterText(c.filter)],
      ['Gas limit', String(c.gasLimit)],
      ['State root', mono(c.stateRoot)],
      [
        'Re-execution',
        c.mismatches === 0
          ? h('span', { class: 'ok', id: 'reexec' }, 'every result this node re-ran matched')
          : h(
              'span',
              { class: 'error', id: 'reexec' },
              `${c.mismatches} result(s) did not match this node's re-run: `,
              h('a', { href: apiUrl(`/v1/contracts/${c.id}/evidence`) }, 'evidence'),
            ),
      ],
    ]),
    h('h2', null, 'Code'),
    h(
      'details',
      { id: 'contract-code' },
      h('summary', null, `${code.length} characters, from storage by its CID`),
      h('pre', { class: 'mono code' }, code),
    ),
    h('h2', null, 'State'),
    h('pre', { class: 'mono', id: 'contract-state' }, JSON.stringify(c.state, null, 2)),
    h('h2', null, 'Calls waiting'),
    c.calls.length
      ? table(
          'Calls waiting',
          ['Call', 'Caller', 'Function', 'Gas'],
          c.calls.map((x) => [
            link(`/tx/${x.hash}`, short(x.hash)),
            link(`/accounts/${x.caller}`, short(x.caller)),
            x.fn,
            x.gas,
          ]),
        )
      : h('p', { class: 'muted' }, 'None.'),
    h('h2', null, 'Results'),
    results.items.length
      ? table(
          'Results, newest first',
          ['Block', 'Status', 'Gas used', 'Events', 'Executor', 'Result'],
          results.items.map((r) => [
            link(`/blocks/${r.height}`, String(r.height)),
            h('span', { class: r.status === 'ok' ? 'ok' : 'error', title: r.message ?? '' }, r.status),
            r.gasUsed,
            r.events.map((e) => e.name).join(', ') || '—',
            link(`/accounts/${r.executor}`, short(r.executor)),
            link(`/tx/${r.hash}`, short(r.hash)),
          ]),
        )
      : h('p', { class: 'muted' }, 'No results yet.'),
    h('h2', null, 'Events'),
    events.items.length
      ? table(
          'Events, newest result first',
          ['Block', 'Event', 'Data', 'Result'],
          events.items.map((e) => [
            link(`/blocks/${e.height}`, String(e.height)),
            h('strong', null, e.name),
            h('code', { class: 'mono small' }, JSON.stringify(e.data)),
            link(`/tx/${e.result}`, short(e.result)),
          ]),
          'contract-events',
        )
      : h('p', { class: 'muted' }, 'No events yet.'),
    h('h2', null, 'Re-execution'),
    evidence.items.length
      ? table(
          'Results that differed from this node’s re-run',
          ['Block', 'Executor', 'Claimed', 'Recomputed'],
          evidence.items.map((x) => [
            link(`/blocks/${x.height}`, String(x.height)),
            link(`/accounts/${x.executor}`, short(x.executor)),
            h('code', { class: 'mono small' }, JSON.stringify(x.claimed)),
            h('code', { class: 'mono small' }, JSON.stringify(x.recomputed)),
          ]),
          'contract-evidence',
        )
      : h(
          'p',
          { class: 'ok', id: 'reexec-none' },
          'No mismatch: every result this node re-ran gave the same state, events and gas.',
        ),
  )
}

/** The contract's source from storage (GET /v1/storage/files/:cid), as text; a missing file says so. */
async function codeText(cid: string, signal: AbortSignal): Promise<string> {
  try {
    const r = await fetch(apiUrl(`/v1/storage/files/${encodeURIComponent(cid)}`), { signal })
    return r.ok ? await r.text() : `(the code is not on this node: HTTP ${r.status})`
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e
    return `(the code could not be read: ${(e as Error).message})`
  }
}
