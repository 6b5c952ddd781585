import { CID } from 'multiformats/cid'
import { parseCoins } from '../../../core/amount.ts'
import { fromHex, toHex } from '../../../core/bytes.ts'
import { encodeContractCall, encodeContractDeploy } from '../../../core/contract-payloads.ts'
import {
  type DriveCreate,
  encodeDriveClose,
  encodeDriveCreate,
  encodeDrivePut,
} from '../../../core/drive-payloads.ts'
import { type GenesisLedger, minFee } from '../../../core/genesis-ledger.ts'
import { TX_TYPES } from '../../../core/transaction.ts'
import { type AccountView, ApiError, getJson, postJson, type TxView } from '../api.ts'
import { h, link, notice, short } from '../dom.ts'
import type { PageContext } from '../router.ts'
import { canonicalJson } from '../wallet/canonical-json.ts'
import { unlockedKey } from '../wallet/keystore.ts'
import { type AccountWatch, announce, coins, signLedgerTx } from '../wallet/ledger.ts'

interface DriveItem {
  id: string
  owner: string
  status: string
  used: number
  capacity: number
  files: { name: string }[]
}
interface ContractItem {
  id: string
  name: string
}

const field = (id: string, label: string, input: HTMLElement, hint?: string) =>
  h(
    'p',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('small', { class: 'muted' }, hint) : null,
  )
const input = (id: string, attrs: { [k: string]: string | number | boolean } = {}) =>
  h('input', { id, autocomplete: 'off', spellcheck: 'false', ...attrs }) as HTMLInputElement
const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)

interface Ctx {
  ctx: PageContext
  me: string
  l: GenesisLedger
  watch: AccountWatch
  refresh: () => Promise<void>
}

/**
 * Signs `payload(fee)` with the unlocked key at the account's pending nonce, announces it, lists it as pending in
 * `sent` and marks it confirmed when the stream brings its block: the transfer's path, for any ledger type.
 */
async function sendTx(
  a: Ctx,
  type: number,
  payload: (fee: bigint) => Uint8Array,
  what: string,
  status: HTMLElement,
  sent: HTMLElement,
): Promise<TxView | null> {
  const key = unlockedKey(a.me)
  if (!key) {
    status.replaceChildren(notice('warn', 'Unlock the key first: transactions are signed in this page.'))
    return null
  }
  try {
    const acct = await getJson<AccountView>(`/v1/accounts/${a.me}`, a.ctx.signal)
    const tx = signLedgerTx(key, {
      chainId: a.ctx.nodeGenesis.chainId,
      type,
      nonce: acct.pending.nonce,
      payload: payload(minFee(a.l, type)),
    })
    const hash = toHex(tx.hash)
    await a.watch.ready
    await announce(tx, a.ctx.signal)
    const state = h('span', { class: 'status pending' }, 'pending')
    sent.append(
      h(
        'li',
        { 'data-tx': hash, 'data-what': what },
        `${what} `,
        link(`/tx/${hash}`, short(hash)),
        ' ',
        state,
      ),
    )
    status.replaceChildren(notice('info', `${what}: sent; waiting for a block to seal it.`))
    void a.refresh().catch(() => undefined)
    const t = await a.watch.confirmed(hash)
    state.className = 'status confirmed'
    state.textContent = `confirmed in block ${t.blockHeight}`
    status.replaceChildren(notice('ok', `${what}: confirmed in block ${t.blockHeight}.`))
    return t
  } catch (err) {
    showError(status, err)
    return null
  }
}

function showError(status: HTMLElement, err: unknown): void {
  const code = (err as { code?: string }).code
  status.replaceChildren(
    notice(
      'error',
      code ? h('code', { class: 'code' }, code) : null,
      code ? ' ' : null,
      (err as Error).message,
    ),
  )
  if (code) status.dataset['code'] = code
}

/** Adds a file (streamed from disk by the browser) to the node's storage; returns its CID. */
async function upload(f: File, signal: AbortSignal): Promise<string> {
  return (await postJson<{ cid: string }>('/v1/storage/files', f, signal)).cid
}

/** The wallet's drive and contract actions: each transaction signed here, sent, shown pending then confirmed. */
export function actionSections(
  ctx: PageContext,
  me: string,
  l: GenesisLedger,
  watch: AccountWatch,
  refresh: () => Promise<void>,
): HTMLElement {
  const a: Ctx = { ctx, me, l, watch, refresh }
  const sent = h('ul', { id: 'actions-sent' })
  const driveSelects: HTMLSelectElement[] = []
  const contractSelects: HTMLSelectElement[] = []
  const fillDrives = async () => {
    const r = await getJson<{ drives: DriveItem[] }>('/v1/drives?limit=100', ctx.signal).catch(() => ({
      drives: [],
    }))
    const mine = r.drives.filter((d) => d.owner === me)
    for (const s of driveSelects)
      s.replaceChildren(
        ...mine.map((d) =>
          h(
            'option',
            { value: d.id },
            `${short(d.id)} (${d.files.length} files, ${d.used}/${d.capacity} bytes)`,
          ),
        ),
      )
  }
  const fillContracts = async () => {
    const r = await getJson<{ items: ContractItem[] }>('/v1/contracts', ctx.signal).catch(() => ({
      items: [],
    }))
    for (const s of contractSelects)
      s.replaceChildren(...r.items.map((c) => h('option', { value: c.id }, `${c.name} (${short(c.id)})`)))
  }
  void fillDrives()
  void fillContracts()

  // Drive: create.
  const capacity = input('drive-capacity', { type: 'number', min: 1, value: 1_000_000, required: true })
  const replicas = input('drive-replicas', { type: 'number', min: 1, max: 16, value: 1, required: true })
  const duration = input('drive-duration', { type: 'number', min: 1, value: 1000, required: true })
  const period = input('drive-period', { type: 'number', min: 1, value: 10, required: true })
  const price = input('drive-price', { inputmode: 'decimal', value: '0', required: true })
  const createStatus = h('div', { id: 'drive-create-status', 'aria-live': 'polite' })
  const createForm = h(
    'form',
    {
      id: 'drive-create-form',
      onsubmit: async (e) => {
        e.preventDefault()
        let p: Omit<DriveCreate, 'fee'>
        try {
          p = {
            capacity: Number(capacity.value),
            replicas: Number(replicas.value),
            duration: Number(duration.value),
            period: Number(period.value),
            price: parseCoins(price.value.trim(), l.decimals, 'price'),
          }
        } catch (err) {
          return showError(createStatus, err)
        }
        const t = await sendTx(
          a,
          TX_TYPES.DRIVE_CREATE,
          (fee) => encodeDriveCreate({ fee, ...p }),
          'Create drive',
          createStatus,
          sent,
        )
        if (t) {
          createStatus.append(h('p', null, 'Drive ', link(`/drives/${t.hash}`, short(t.hash), 'drive-link')))
          await fillDrives()
        }
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
    createStatus,
  )

  // Drive: put a file, close.
  const putDrive = h('select', { id: 'put-drive', required: true })
  driveSelects.push(putDrive)
  const putFile = input('put-file', { type: 'file', required: true })
  const putName = input('put-name', { placeholder: 'the file’s own name' })
  const putStatus = h('div', { id: 'drive-put-status', 'aria-live': 'polite' })
  const putForm = h(
    'form',
    {
      id: 'drive-put-form',
      onsubmit: async (e) => {
        e.preventDefault()
        const f = putFile.files?.[0]
        if (!f || !putDrive.value) return showError(putStatus, new Error('choose a drive and a file'))
        const drive = putDrive.value
        const name = putName.value.trim() || f.name
        let cid: CID
        let stat: { size: number; tsize: number }
        try {
          putStatus.replaceChildren(notice('info', `Uploading ${f.name}…`))
          const c = await upload(f, ctx.signal)
          cid = CID.parse(c)
          stat = await getJson(`/v1/storage/files/${c}/stat`, ctx.signal)
        } catch (err) {
          return showError(putStatus, err)
        }
        const t = await sendTx(
          a,
          TX_TYPES.DRIVE_PUT,
          (fee) =>
            encodeDrivePut({
              fee,
              drive: fromHex(drive, 'drive', 32),
              name,
              cid: cid.bytes,
              size: stat.size,
              tsize: stat.tsize,
            }),
          `Put ${name}`,
          putStatus,
          sent,
        )
        if (t) {
          putStatus.append(h('p', null, link(`/drives/${drive}`, 'See the drive', 'drive-link')))
          await fillDrives()
        }
      },
    },
    h('h3', null, 'Put a file into a drive'),
    field('put-drive', 'Drive (yours, open)', putDrive),
    field('put-file', 'File', putFile),
    field('put-name', 'Name in the drive', putName),
    h('button', { type: 'submit', id: 'drive-put-submit' }, 'Upload, sign and put'),
    putStatus,
  )
  const closeDrive = h('select', { id: 'close-drive', required: true })
  driveSelects.push(closeDrive)
  const closeStatus = h('div', { id: 'drive-close-status', 'aria-live': 'polite' })
  const closeForm = h(
    'form',
    {
      id: 'drive-close-form',
      class: 'inline-form',
      onsubmit: async (e) => {
        e.preventDefault()
        const drive = closeDrive.value
        if (!drive || !confirm('Close this drive? What is left of its escrow comes back to you.')) return
        const t = await sendTx(
          a,
          TX_TYPES.DRIVE_CLOSE,
          (fee) => encodeDriveClose({ fee, drive: fromHex(drive, 'drive', 32) }),
          'Close drive',
          closeStatus,
          sent,
        )
        if (t) await fillDrives()
      },
    },
    h('label', { for: 'close-drive' }, 'Close a drive'),
    closeDrive,
    h('button', { type: 'submit', id: 'drive-close-submit' }, 'Sign and close'),
    closeStatus,
  )

  // Contract: deploy.
  const code = input('deploy-file', { type: 'file', accept: '.js,text/javascript', required: true })
  const cname = input('deploy-name', { required: true, maxlength: 64 })
  const gasLimit = input('deploy-gas', { type: 'number', min: 1, value: 1_000_000, required: true })
  const devices = input('deploy-devices', { placeholder: 'any' })
  const sensors = input('deploy-sensors', { placeholder: 'any' })
  const deployStatus = h('div', { id: 'deploy-status', 'aria-live': 'polite' })
  const deployForm = h(
    'form',
    {
      id: 'deploy-form',
      onsubmit: async (e) => {
        e.preventDefault()
        const f = code.files?.[0]
        if (!f) return showError(deployStatus, new Error('choose the contract’s code'))
        let codeCid: string
        try {
          deployStatus.replaceChildren(notice('info', `Storing ${f.name}…`))
          codeCid = await upload(f, ctx.signal)
        } catch (err) {
          return showError(deployStatus, err)
        }
        // The node checks that the code loads (STELE_CONTRACT_INVALID with the compiler's message when not).
        const name = cname.value.trim() || f.name.replace(/\.js$/, '')
        const t = await sendTx(
          a,
          TX_TYPES.CONTRACT_DEPLOY,
          (fee) =>
            encodeContractDeploy({
              fee,
              name,
              codeCid,
              gasLimit: Number(gasLimit.value),
              filter: { devices: list(devices.value), sensors: list(sensors.value), gateways: [] },
            }),
          `Deploy ${name}`,
          deployStatus,
          sent,
        )
        if (t) {
          deployStatus.append(
            h('p', null, 'Contract ', link(`/contracts/${t.hash}`, short(t.hash), 'contract-link')),
          )
          await fillContracts()
        }
      },
    },
    h('h3', null, 'Deploy a contract'),
    field('deploy-file', 'Code (a JavaScript module)', code, 'stored on this node, then deployed by its CID'),
    field('deploy-name', 'Name', cname),
    field('deploy-gas', 'Gas per run', gasLimit),
    field('deploy-devices', 'Devices (comma-separated)', devices),
    field('deploy-sensors', 'Sensors (comma-separated)', sensors),
    h('button', { type: 'submit', id: 'deploy-submit' }, 'Upload, sign and deploy'),
    deployStatus,
  )

  // Contract: call.
  const callContract = h('select', { id: 'call-contract', required: true })
  contractSelects.push(callContract)
  const fn = input('call-fn', { required: true, pattern: '[A-Za-z_$][A-Za-z0-9_$]*' })
  const args = h('textarea', { id: 'call-args', rows: 2, spellcheck: 'false' }, '{}')
  const gas = input('call-gas', { type: 'number', min: 1, value: 100_000, required: true })
  const callStatus = h('div', { id: 'call-status', 'aria-live': 'polite' })
  const callForm = h(
    'form',
    {
      id: 'call-form',
      onsubmit: async (e) => {
        e.preventDefault()
        let text: string
        try {
          text = canonicalJson(JSON.parse(args.value || '{}'))
        } catch {
          return showError(callStatus, new ApiError(0, 'ARGS', 'the arguments are not JSON'))
        }
        const contract = callContract.value
        const t = await sendTx(
          a,
          TX_TYPES.CONTRACT_CALL,
          (fee) =>
            encodeContractCall({
              fee,
              contract: fromHex(contract, 'contract', 32),
              fn: fn.value.trim(),
              args: text,
              gas: Number(gas.value),
            }),
          `Call ${fn.value.trim()}`,
          callStatus,
          sent,
        )
        if (t)
          callStatus.append(
            h(
              'p',
              null,
              'Its result follows in a later block: ',
              link(`/contracts/${contract}`, 'see the contract', 'contract-link'),
            ),
          )
      },
    },
    h('h3', null, 'Call a contract'),
    field('call-contract', 'Contract', callContract),
    field('call-fn', 'Function (an export)', fn),
    field('call-args', 'Arguments (JSON)', args),
    field('call-gas', 'Gas', gas),
    h('button', { type: 'submit', id: 'call-submit' }, 'Sign and call'),
    callStatus,
  )

  return h(
    'section',
    { 'aria-labelledby': 'h-actions' },
    h('h2', { id: 'h-actions' }, 'Drives and contracts'),
    h('div', { class: 'cols' }, createForm, h('div', null, putForm, closeForm)),
    h('div', { class: 'cols' }, deployForm, callForm),
    h('h3', null, 'Sent from here'),
    sent,
  )
}
