import { fromHex } from '../../../core/bytes.ts'
import { encodeContractCall, encodeContractDeploy } from '../../../core/contract-payloads.ts'
import { TX_TYPES } from '../../../core/transaction.ts'
import { ApiError, uploadFile } from '../api.ts'
import { h, link, notice, short } from '../dom.ts'
import { canonicalJson } from '../wallet/canonical-json.ts'
import { field, input, type SendCtx, txForm } from '../wallet/send-tx.ts'

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)

/** The wallet's contract forms (deploy, call); `contracts` are the selects listing the chain's contracts. */
export function contractForms(
  a: SendCtx,
  sent: HTMLElement,
  contracts: { select: (id: string) => HTMLSelectElement; refill: () => Promise<void> },
): HTMLElement[] {
  const { ctx } = a
  const code = input('deploy-file', { type: 'file', accept: '.js,text/javascript', required: true })
  const cname = input('deploy-name', { required: true, maxlength: 64 })
  const gasLimit = input('deploy-gas', { type: 'number', min: 1, value: 1_000_000, required: true })
  const devices = input('deploy-devices', { placeholder: 'any' })
  const sensors = input('deploy-sensors', { placeholder: 'any' })
  const deployForm = txForm(
    a,
    sent,
    {
      id: 'deploy-form',
      status: 'deploy-status',
      type: TX_TYPES.CONTRACT_DEPLOY,
      prepare: async (status) => {
        const f = code.files?.[0]
        if (!f) throw new Error('choose the contract’s code')
        status.replaceChildren(notice('info', `Storing ${f.name}…`))
        const codeCid = (await uploadFile(f, ctx.signal)).cid
        return { codeCid, name: cname.value.trim() || f.name.replace(/\.js$/, '') }
      },
      // The node checks that the code loads (STELE_CONTRACT_INVALID with the compiler's message when not).
      payload: (p, fee) =>
        encodeContractDeploy({
          fee,
          name: p.name,
          codeCid: p.codeCid,
          gasLimit: Number(gasLimit.value),
          filter: { devices: list(devices.value), sensors: list(sensors.value), gateways: [] },
        }),
      what: (p) => `Deploy ${p.name}`,
      done: async (t, _p, status) => {
        status.append(h('p', null, 'Contract ', link(`/contracts/${t.hash}`, short(t.hash), 'contract-link')))
        await contracts.refill()
      },
    },
    h('h3', null, 'Deploy a contract'),
    field('deploy-file', 'Code (a JavaScript module)', code, 'stored on this node, then deployed by its CID'),
    field('deploy-name', 'Name', cname),
    field('deploy-gas', 'Gas per run', gasLimit),
    field('deploy-devices', 'Devices (comma-separated)', devices),
    field('deploy-sensors', 'Sensors (comma-separated)', sensors),
    h('button', { type: 'submit', id: 'deploy-submit' }, 'Upload, sign and deploy'),
  )

  const callContract = contracts.select('call-contract')
  const fn = input('call-fn', { required: true, pattern: '[A-Za-z_$][A-Za-z0-9_$]*' })
  const args = h('textarea', { id: 'call-args', rows: 2, spellcheck: 'false' }, '{}')
  const gas = input('call-gas', { type: 'number', min: 1, value: 100_000, required: true })
  const callForm = txForm(
    a,
    sent,
    {
      id: 'call-form',
      status: 'call-status',
      type: TX_TYPES.CONTRACT_CALL,
      prepare: () => {
        let text: string
        try {
          text = canonicalJson(JSON.parse(args.value || '{}'))
        } catch {
          throw new ApiError(0, 'ARGS', 'the arguments are not JSON')
        }
        return { contract: callContract.value, fn: fn.value.trim(), args: text }
      },
      payload: (p, fee) =>
        encodeContractCall({
          fee,
          contract: fromHex(p.contract, 'contract', 32),
          fn: p.fn,
          args: p.args,
          gas: Number(gas.value),
        }),
      what: (p) => `Call ${p.fn}`,
      done: (_t, p, status) => {
        status.append(
          h(
            'p',
            null,
            'Its result follows in a later block: ',
            link(`/contracts/${p.contract}`, 'see the contract', 'contract-link'),
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
  )
  return [deployForm, callForm]
}
