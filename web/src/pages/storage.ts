import { verifyStorageProof } from '../../../core/storage-proof.ts'
import { ApiError, getJson, type StorageUpload, uploadFile } from '../api.ts'
import { bytesText, fields, h, link, mono, notice, table, timeText } from '../dom.ts'
import { apiUrl } from '../nodes.ts'
import { proofPanel } from '../proof-panel.ts'
import type { PageContext } from '../router.ts'
import { notYet } from './not-yet.ts'

/** GET /v1/storage/files/:cid/proof: nodes and leaf in base64 (docs/storage.md). */
interface ProofJson {
  root: string
  offset: number
  fileSize: number
  nodes: string[]
  leaf: string
}

interface FileStat {
  cid: string
  size: number
  type: string
  pinned: boolean
  uploadedAt?: number
  expiresAt?: number
}

const STORAGE_CHECKS = 6
const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0))

/** Upload (the File handed to fetch as the body, read from disk as it is sent), and the uploads this node holds. */
export async function storagePage(ctx: PageContext): Promise<void> {
  const { main, signal } = ctx
  main.append(h('h1', null, 'Storage'))
  let uploads: StorageUpload[]
  try {
    uploads = (await getJson<{ items: StorageUpload[] }>('/v1/storage/files?limit=100', signal)).items
  } catch (e) {
    if (e instanceof ApiError && e.missingRoute) return notYet(main, 'this node has no storage API.')
    throw e
  }
  const file = h('input', { id: 'upload-file', type: 'file', required: true })
  const status = h('div', { id: 'upload-result', 'aria-live': 'polite' })
  main.append(
    h(
      'form',
      {
        id: 'upload-form',
        onsubmit: async (e) => {
          e.preventDefault()
          const f = file.files?.[0]
          if (!f) return
          status.replaceChildren(notice('info', `Uploading ${f.name} (${bytesText(f.size)})…`))
          try {
            const r = await uploadFile(f, signal)
            status.replaceChildren(
              notice('ok', 'Stored as ', link(`/storage/${r.cid}`, mono(r.cid)), '.'),
              fields([
                ['CID', h('code', { class: 'mono', id: 'upload-cid' }, r.cid)],
                ['Size', h('span', { id: 'upload-size' }, String(r.size))],
                ['Blocks', h('span', { id: 'upload-blocks' }, String(r.blocks))],
              ]),
            )
          } catch (err) {
            const code = err instanceof ApiError ? err.code : 'ERROR'
            status.replaceChildren(notice('error', h('code', null, code), ' ', (err as Error).message))
          }
        },
      },
      h('p', { class: 'field' }, h('label', { for: 'upload-file' }, 'File to add'), file),
      h('button', { type: 'submit', id: 'upload-submit' }, 'Upload'),
    ),
    status,
    h('h2', null, 'Uploads on this node'),
    uploads.length
      ? table(
          'Uploads',
          ['CID', 'Size', 'Uploaded'],
          uploads.map((u) => [
            link(`/storage/${u.cid}`, mono(u.cid)),
            bytesText(u.size),
            u.at ? timeText(u.at) : '',
          ]),
          'uploads',
        )
      : h('p', { class: 'muted' }, 'None yet.'),
  )
}

/** One file: its stat, a download, and a byte-offset proof checked in the page by core/storage-proof.ts. */
export async function storageFilePage(ctx: PageContext): Promise<void> {
  const { main, signal, params, query } = ctx
  const cid = params['cid']!
  main.append(h('h1', null, 'File'))
  let stat: FileStat
  try {
    stat = await getJson<FileStat>(`/v1/storage/files/${encodeURIComponent(cid)}/stat`, signal)
  } catch (e) {
    if (e instanceof ApiError && e.missingRoute) return notYet(main, 'this node has no storage API.')
    if (e instanceof ApiError && e.status === 404) {
      main.append(notice('warn', `No file ${cid} on this node.`))
      return
    }
    throw e
  }
  main.append(
    fields([
      ['CID', mono(stat.cid)],
      ['Size', `${stat.size} bytes (${bytesText(stat.size)})`],
      ['Kind', stat.type],
      ['Pinned', stat.pinned ? 'yes' : 'no'],
      ['Uploaded', stat.uploadedAt ? timeText(stat.uploadedAt) : '—'],
      ['Expires', stat.pinned ? 'never (pinned)' : stat.expiresAt ? timeText(stat.expiresAt) : '—'],
    ]),
    h(
      'p',
      null,
      h(
        'a',
        { href: apiUrl(`/v1/storage/files/${stat.cid}`), download: stat.cid, id: 'download' },
        'Download the file',
      ),
      ' · ',
      h('a', { href: apiUrl(`/v1/storage/files/${stat.cid}/car`), download: `${stat.cid}.car` }, 'as a CAR'),
    ),
  )
  if (stat.size === 0) return
  const offset = h('input', {
    id: 'proof-offset',
    type: 'number',
    min: 0,
    max: stat.size - 1,
    value: query.get('offset') ?? String(Math.floor(stat.size / 2)),
  })
  const out = h('div', { id: 'storage-proof' })
  const prove = async () => {
    const at = Number(offset.value)
    const p = await getJson<ProofJson>(`/v1/storage/files/${stat.cid}/proof?offset=${at}`, signal)
    out.replaceChildren(
      proofPanel({
        title: `Proof of byte ${at}`,
        bundle: p,
        check: (b) =>
          verifyStorageProof(stat.cid, at, { offset: b.offset, nodes: b.nodes.map(b64), leaf: b64(b.leaf) })
            .checks,
        expected: STORAGE_CHECKS,
        filename: `storage-proof-${at}.json`,
        downloadLabel: 'Download the proof (JSON, as the node sent it)',
        signal,
      }),
    )
  }
  main.append(
    h(
      'section',
      { 'aria-labelledby': 'h-sproof' },
      h('h2', { id: 'h-sproof' }, 'Byte-offset proof'),
      h(
        'p',
        { class: 'muted' },
        'The raw leaf holding one byte and the nodes from the root down to it: each hashes to the CID its parent links.',
      ),
      h(
        'form',
        {
          id: 'proof-form',
          class: 'inline-form',
          onsubmit: (e) => {
            e.preventDefault()
            void prove().catch((err) => out.replaceChildren(notice('error', (err as Error).message)))
          },
        },
        h('label', { for: 'proof-offset' }, 'Byte offset'),
        offset,
        h('button', { type: 'submit' }, 'Prove and verify'),
      ),
      out,
    ),
  )
  await prove()
}
