import type { GenesisJson as CoreGenesisJson } from '../../../core/genesis.ts'
import { genesisFromJson } from '../../../core/genesis.ts'
import type { ProofBundle } from '../../../core/proof.ts'
import { verifyProof } from '../../../core/verify-proof.ts'
import { getJson, getOrNull, type Reading } from '../api.ts'
import { fields, h, link, mono, notice, timeText } from '../dom.ts'
import { proofPanel } from '../proof-panel.ts'
import type { PageContext } from '../router.ts'
import { subscribe } from '../stream.ts'
import { pinnedGenesis, unpinnedNote } from '../trust.ts'

/** Every check core/verify-proof.ts runs for a reading, in order (as `stele verify`). */
const PROOF_CHECKS = 11

export async function readingPage(ctx: PageContext): Promise<void> {
  const { main, signal, params } = ctx
  const id = params['id']!
  main.append(h('h1', null, 'Reading'))
  const r = await getOrNull<Reading>(`/v1/readings/${encodeURIComponent(id)}`, signal)
  if (!r) {
    main.append(notice('warn', `No reading ${id} on this node.`))
    return
  }
  main.append(
    fields([
      ['Id', mono(r.id)],
      ['Device', link(`/devices/${encodeURIComponent(r.device)}`, r.device)],
      ['Sensor', r.sensor],
      ['Value', `${r.value}${r.unit ?? ''}`],
      ['Time', timeText(r.time)],
      ['Device time', r.deviceTime === null ? '—' : timeText(r.deviceTime)],
      ['Gateway', mono(r.gateway)],
      ['Record', `seq ${r.seq}${r.deviceSeq === null ? '' : `, device seq ${r.deviceSeq}`}, via ${r.source}`],
      ['Status', h('span', { class: `status ${r.status}` }, r.status)],
      ['Block', r.blockHeight === null ? 'not yet' : link(`/blocks/${r.blockHeight}`, String(r.blockHeight))],
      ['Batch transaction', link(`/tx/${r.txHash}`, mono(r.txHash))],
    ]),
  )
  if (r.status === 'pending') {
    main.append(
      notice('info', 'Pending: its proof exists once a block seals it. This page updates when that happens.'),
    )
    subscribe(
      { channels: ['confirmations'], device: [r.device] },
      {
        confirmation: (c) => {
          if (c.batches.some((b) => b.tx === r.txHash)) ctx.navigate(location.pathname, true)
        },
      },
      signal,
    )
    return
  }
  const bundle = await getJson<ProofBundle>(`/v1/readings/${encodeURIComponent(id)}/proof`, signal)
  // The pinned genesis when there is one; otherwise the check trusts the genesis inside the proof, and says so.
  const trusted = () => {
    const pinned = pinnedGenesis()
    try {
      return pinned ? genesisFromJson(pinned as CoreGenesisJson) : undefined
    } catch {
      return undefined
    }
  }
  main.append(
    proofPanel({
      title: 'Proof check',
      bundle,
      check: (b: ProofBundle) => verifyProof(b, trusted()).checks,
      expected: (b: ProofBundle) => PROOF_CHECKS + (b.registrations === undefined ? 0 : 1),
      filename: `proof-${id.slice(0, 12)}.json`,
      signal,
      note: unpinnedNote,
    }),
  )
}
