import type { GenesisLedger } from '../../../core/genesis-ledger.ts'
import { getJson } from '../api.ts'
import { h, short } from '../dom.ts'
import type { PageContext } from '../router.ts'
import type { AccountWatch } from '../wallet/ledger.ts'
import type { SendCtx } from '../wallet/send-tx.ts'
import { contractForms } from './wallet-contracts.ts'
import { driveForms } from './wallet-drives.ts'

interface DriveItem {
  id: string
  owner: string
  used: number
  capacity: number
  files: { name: string }[]
}
interface ContractItem {
  id: string
  name: string
}

/** Selects that list the same options, refilled together (after a transaction changes them). */
function selects(fill: () => Promise<HTMLOptionElement[]>) {
  const all: HTMLSelectElement[] = []
  const refill = async () => {
    const options = await fill()
    for (const s of all) s.replaceChildren(...options.map((o) => o.cloneNode(true)))
  }
  const select = (id: string) => {
    const s = h('select', { id, required: true })
    all.push(s)
    return s
  }
  return { select, refill }
}

/** The wallet's drive and contract actions: each transaction signed here, sent, shown pending then confirmed. */
export function actionSections(
  ctx: PageContext,
  me: string,
  l: GenesisLedger,
  watch: AccountWatch,
  refresh: () => Promise<void>,
): HTMLElement {
  const a: SendCtx = { ctx, me, l, watch, refresh }
  const sent = h('ul', { id: 'actions-sent' })
  const drives = selects(async () => {
    const r = await getJson<{ drives: DriveItem[] }>('/v1/drives?limit=100', ctx.signal).catch(() => ({
      drives: [],
    }))
    return r.drives
      .filter((d) => d.owner === me)
      .map((d) =>
        h(
          'option',
          { value: d.id },
          `${short(d.id)} (${d.files.length} files, ${d.used}/${d.capacity} bytes)`,
        ),
      )
  })
  const contracts = selects(async () => {
    const r = await getJson<{ items: ContractItem[] }>('/v1/contracts', ctx.signal).catch(() => ({
      items: [],
    }))
    return r.items.map((c) => h('option', { value: c.id }, `${c.name} (${short(c.id)})`))
  })
  const section = h(
    'section',
    { 'aria-labelledby': 'h-actions' },
    h('h2', { id: 'h-actions' }, 'Drives and contracts'),
    h('div', { class: 'cols' }, ...driveForms(a, sent, drives)),
    h('div', { class: 'cols' }, ...contractForms(a, sent, contracts)),
    h('h3', null, 'Sent from here'),
    sent,
  )
  void drives.refill()
  void contracts.refill()
  return section
}
