import { CID } from 'multiformats/cid'
import { parseCoins } from '../../../core/amount.ts'
import { fromHex } from '../../../core/bytes.ts'
import {
  type DriveCreate,
  encodeDriveClose,
  encodeDriveCreate,
  encodeDrivePut,
} from '../../../core/drive-payloads.ts'
import { minFee } from '../../../core/genesis-ledger.ts'
import { TX_TYPES } from '../../../core/transaction.ts'
import { getJson, uploadFile } from '../api.ts'
import { h, link, notice, short } from '../dom.ts'
import { coins } from '../wallet/ledger.ts'
import { field, input, type SendCtx, txForm } from '../wallet/send-tx.ts'

/** The wallet's drive forms (create, put a file, close); `drives` are the selects listing the account's drives. */
export function driveForms(
  a: SendCtx,
  sent: HTMLElement,
  drives: { select: (id: string) => HTMLSelectElement; refill: () => Promise<void> },
): HTMLElement[] {
  const { l, ctx } = a
  const capacity = input('drive-capacity', { type: 'number', min: 1, value: 1_000_000, required: true })
  const replicas = input('drive-replicas', { type: 'number', min: 1, max: 16, value: 1, required: true })
  const duration = input('drive-duration', { type: 'number', min: 1, value: 1000, required: true })
  const period = input('drive-period', { type: 'number', min: 1, value: 10, required: true })
  const price = input('drive-price', { inputmode: 'decimal', value: '0', required: true })
  const createForm = txForm<Omit<DriveCreate, 'fee'>>(
    a,
    sent,
    {
      id: 'drive-create-form',
      status: 'drive-create-status',
      type: TX_TYPES.DRIVE_CREATE,
      prepare: () => ({
        capacity: Number(capacity.value),
        replicas: Number(replicas.value),
        duration: Number(duration.value),
        period: Number(period.value),
        price: parseCoins(price.value.trim(), l.decimals, 'price'),
      }),
      payload: (p, fee) => encodeDriveCreate({ fee, ...p }),
      what: () => 'Create drive',
      done: async (t, _p, status) => {
        status.append(h('p', null, 'Drive ', link(`/drives/${t.hash}`, short(t.hash), 'drive-link')))
        await drives.refill()
      },
    },
    h('h3', null, 'Create a drive'),
    field('drive-capacity', 'Capacity (bytes)', capacity),
    field('drive-replicas', 'Replicas', replicas),
    field('drive-duration', 'Duration (blocks)', duration),
    field('drive-period', 'Challenge every (blocks)', period),
    field(
      'drive-price',
      `Price per block per replica (${l.symbol})`,
      price,
      `escrowed at once; fee ${coins(minFee(l, TX_TYPES.DRIVE_CREATE), l)}`,
    ),
    h('button', { type: 'submit', id: 'drive-create-submit' }, 'Sign and create'),
  )

  const putDrive = drives.select('put-drive')
  const putFile = input('put-file', { type: 'file', required: true })
  const putName = input('put-name', { placeholder: 'the file’s own name' })
  const putForm = txForm(
    a,
    sent,
    {
      id: 'drive-put-form',
      status: 'drive-put-status',
      type: TX_TYPES.DRIVE_PUT,
      prepare: async (status) => {
        const f = putFile.files?.[0]
        if (!f || !putDrive.value) throw new Error('choose a drive and a file')
        status.replaceChildren(notice('info', `Uploading ${f.name}…`))
        const c = (await uploadFile(f, ctx.signal)).cid
        const stat = await getJson<{ size: number; tsize: number }>(`/v1/storage/files/${c}/stat`, ctx.signal)
        return {
          drive: putDrive.value,
          name: putName.value.trim() || f.name,
          cid: CID.parse(c),
          size: stat.size,
          tsize: stat.tsize,
        }
      },
      payload: (p, fee) =>
        encodeDrivePut({
          fee,
          drive: fromHex(p.drive, 'drive', 32),
          name: p.name,
          cid: p.cid.bytes,
          size: p.size,
          tsize: p.tsize,
        }),
      what: (p) => `Put ${p.name}`,
      done: async (_t, p, status) => {
        status.append(h('p', null, link(`/drives/${p.drive}`, 'See the drive', 'drive-link')))
        await drives.refill()
      },
    },
    h('h3', null, 'Put a file into a drive'),
    field('put-drive', 'Drive (yours, open)', putDrive),
    field('put-file', 'File', putFile),
    field('put-name', 'Name in the drive', putName),
    h('button', { type: 'submit', id: 'drive-put-submit' }, 'Upload, sign and put'),
  )

  const closeDrive = drives.select('close-drive')
  const closeForm = txForm(
    a,
    sent,
    {
      id: 'drive-close-form',
      class: 'inline-form',
      status: 'drive-close-status',
      type: TX_TYPES.DRIVE_CLOSE,
      prepare: () => {
        const drive = closeDrive.value
        if (!drive || !confirm('Close this drive? What is left of its escrow comes back to you.'))
          return undefined
        return drive
      },
      payload: (drive, fee) => encodeDriveClose({ fee, drive: fromHex(drive, 'drive', 32) }),
      what: () => 'Close drive',
      done: () => drives.refill(),
    },
    h('label', { for: 'close-drive' }, 'Close a drive'),
    closeDrive,
    h('button', { type: 'submit', id: 'drive-close-submit' }, 'Sign and close'),
  )
  return [createForm, h('div', null, putForm, closeForm)]
}
