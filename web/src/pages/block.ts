import { type BlockView, getJson, getOrNull } from '../api.ts'
import { checklist } from '../checklist.ts'
import { checkBlock } from '../checks.ts'
import { fields, h, link, mono, notice, short, table, timeText } from '../dom.ts'
import type { PageContext } from '../router.ts'
import { subscribe } from '../stream.ts'
import { pinnedGenesis } from '../trust.ts'

export async function blocksPage({ main, signal, query }: PageContext): Promise<void> {
  const from = query.get('from')
  const page = await getJson<{ items: BlockView[]; next: number | null }>(
    `/v1/blocks?limit=50${from ? `&from=${Number(from)}` : ''}`,
    signal,
  )
  const items = from ? page.items.slice().reverse() : page.items
  const rows = h('tbody', null, ...items.map(blockRow))
  const top = items[0]?.height ?? 0
  const older = items[items.length - 1]?.height ?? 1
  main.append(
    h('h1', null, 'Blocks'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        null,
        h('caption', { class: 'sr' }, 'Blocks, newest first'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ...['Height', 'Txs', 'Time', 'Producer', 'Hash'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        rows,
      ),
    ),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages' },
      older > 1 ? link(`/blocks?from=${Math.max(1, older - 50)}`, 'Older blocks') : null,
    ),
  )
  // The newest page follows the chain live.
  if (!from)
    subscribe(
      { channels: ['blocks'] },
      {
        block: (b) => {
          if (b.height <= top) return
          rows.prepend(blockRow(b))
          if (rows.rows.length > 50) rows.lastElementChild?.remove()
        },
      },
      signal,
    )
}

const blockRow = (b: BlockView) =>
  h(
    'tr',
    null,
    h('td', null, link(`/blocks/${b.height}`, String(b.height))),
    h('td', null, b.txCount),
    h('td', null, timeText(b.time)),
    h('td', null, mono(short(b.producer), b.producer)),
    h('td', null, mono(short(b.hash), b.hash)),
  )

export async function blockPage(ctx: PageContext): Promise<void> {
  const { main, signal, params } = ctx
  const height = Number(params['height'])
  if (!Number.isSafeInteger(height) || height < 1) throw new Error(`not a block height: ${params['height']}`)
  const b = await getOrNull<BlockView>(`/v1/blocks/${height}`, signal)
  main.append(h('h1', null, `Block ${height}`))
  if (!b) {
    main.append(notice('warn', `No block at height ${height} yet.`))
    return
  }
  const prev = height > 1 ? await getOrNull<BlockView>(`/v1/blocks/${height - 1}`, signal) : null
  main.append(
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Neighbour blocks' },
      height > 1 ? link(`/blocks/${height - 1}`, `← Block ${height - 1}`) : null,
      ' ',
      link(`/blocks/${height + 1}`, `Block ${height + 1} →`),
    ),
    fields([
      ['Hash', mono(b.hash)],
      ['Previous', height > 1 ? link(`/blocks/${height - 1}`, mono(b.prevHash)) : mono(b.prevHash)],
      ['Time', timeText(b.time)],
      ['Producer', mono(b.producer)],
      ['Transaction root', mono(b.txRoot)],
      ...(b.stateRoot ? [['State root', mono(b.stateRoot)] as [string, HTMLElement]] : []),
      ['Transactions', String(b.txCount)],
      ['Signature', mono(b.signature)],
    ]),
  )
  const trusted = pinnedGenesis()
  if (!trusted)
    main.append(
      notice(
        'warn',
        'No genesis pinned yet: the checks below use the genesis this node serves. Pin one above.',
      ),
    )
  main.append(
    checklist(
      'Signature check',
      checkBlock(b, trusted ?? ctx.nodeGenesis, prev?.hash),
      b.registrations === undefined ? 5 : 6,
    ),
  )
  main.append(
    h(
      'section',
      { 'aria-labelledby': 'h-txs' },
      h('h2', { id: 'h-txs' }, 'Transactions'),
      table(
        'Transactions in this block',
        ['#', 'Hash'],
        b.transactions.map((t, i) => [i, link(`/tx/${t}`, mono(t))]),
      ),
    ),
  )
}
