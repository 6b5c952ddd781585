import type { DriveView } from '../../../core/api-views.ts'
import { ApiError, getJson } from '../api.ts'
import { bytesText, fields, h, link, mono, notice, short, table } from '../dom.ts'
import type { PageContext } from '../router.ts'
import { emptyList, unavailable } from './not-yet.ts'

/** GET /v1/drives and /v1/drives/:id (docs/storage.md "Drives"; node/api/drives.ts). */
type Drive = DriveView

const blockLink = (n: number) => (n ? link(`/blocks/${n}`, String(n)) : '—')

export async function drivesPage({ main, signal }: PageContext): Promise<void> {
  main.append(h('h1', null, 'Drives'))
  const drives: Drive[] = []
  try {
    let cursor: string | undefined
    // Open drives only (the API lists pending and active); a page of 100 at a time, a few pages at most.
    for (let i = 0; i < 10; i++) {
      const r = await getJson<{ drives: Drive[]; nextCursor?: string }>(
        `/v1/drives?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        signal,
      )
      drives.push(...r.drives)
      cursor = r.nextCursor
      if (!cursor) break
    }
  } catch (e) {
    if (unavailable(main, e, 'this node has no drives API.')) return
    throw e
  }
  if (drives.length === 0) {
    main.append(emptyList('drives-empty', 'No open drives on this chain', 'stele drive create'))
    return
  }
  main.append(
    table(
      'Open drives',
      ['Drive', 'Status', 'Owner', 'Used', 'Files', 'Replicators', 'Blocks'],
      drives.map((d) => [
        link(`/drives/${d.id}`, short(d.id)),
        d.status,
        link(`/accounts/${d.owner}`, short(d.owner)),
        `${bytesText(d.used)} of ${bytesText(d.capacity)}`,
        d.files.length,
        d.replicators.length,
        `${d.start || '—'}…${d.end || '—'}`,
      ]),
      'drives',
    ),
  )
}

/** One drive: terms, files (each a link to the file page) and each replicator's challenge results. */
export async function drivePage({ main, signal, params }: PageContext): Promise<void> {
  const id = params['id']!
  main.append(h('h1', null, 'Drive'))
  let d: Drive
  try {
    d = await getJson<Drive>(`/v1/drives/${encodeURIComponent(id)}`, signal)
  } catch (e) {
    if (unavailable(main, e, 'this node has no drives API.')) return
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) {
      main.append(notice('warn', `No drive ${id} on this chain.`))
      return
    }
    throw e
  }
  main.append(
    fields([
      ['Id (create transaction)', link(`/tx/${d.id}`, mono(d.id))],
      ['Status', h('span', { id: 'drive-status', class: d.status === 'active' ? 'ok' : '' }, d.status)],
      ['Owner', link(`/accounts/${d.owner}`, mono(d.owner))],
      ['Root (UnixFS directory)', link(`/storage/${d.root}`, mono(d.root))],
      ['Used', `${bytesText(d.used)} of ${bytesText(d.capacity)}`],
      ['Replicas', String(d.replicas)],
      ['Blocks', h('span', null, blockLink(d.start), ' … ', blockLink(d.end), ` (${d.duration} blocks)`)],
      ['Challenge every', `${d.period} blocks`],
      ['Open challenge', d.challenge.height ? blockLink(d.challenge.height) : 'none'],
      ['Price', `${d.price} base units per block per replica`],
      ['Escrow left', `${d.escrow} base units`],
    ]),
    h('h2', null, 'Files'),
    d.files.length
      ? table(
          'Files',
          ['Name', 'CID', 'Size'],
          d.files.map((f) => [f.name, link(`/storage/${f.cid}`, short(f.cid)), bytesText(f.size)]),
          'drive-files',
        )
      : h('p', { class: 'muted' }, 'No files yet.'),
    h('h2', null, 'Challenges per replicator'),
    d.replicators.length
      ? table(
          'Replicators',
          ['Replicator', 'Passed', 'Failed', 'Missed', 'Last answered', 'Paid (base units)'],
          d.replicators.map((r) => [
            link(`/accounts/${r.key}`, short(r.key)),
            h('span', { class: 'ok' }, String(r.passed)),
            h('span', { class: r.failed ? 'error' : '' }, String(r.failed)),
            h('span', { class: r.missed ? 'warn' : '' }, String(r.missed)),
            blockLink(r.answered),
            r.paid,
          ]),
          'drive-replicators',
        )
      : h('p', { class: 'muted' }, 'Replicators are drawn by the block that includes the drive.'),
  )
}
