import type { Check } from './checks.ts'
import { h } from './dom.ts'

/** A verification result: one line per check with its name and result, then the verdict (announced to screen readers). */
export function checklist(title: string, checks: Check[], expected: number, id = 'checks'): HTMLElement {
  const ok = checks.length === expected && checks.every((c) => c.ok)
  const failed = checks.find((c) => !c.ok)
  return h(
    'section',
    {
      class: 'checks',
      'aria-labelledby': `h-${id}`,
      'data-verdict': ok ? 'ok' : 'failed',
      'data-failed': failed?.name ?? '',
    },
    h('h2', { id: `h-${id}` }, title),
    h(
      'ol',
      null,
      ...checks.map((c) =>
        h(
          'li',
          { class: c.ok ? 'pass' : 'fail', 'data-check': c.name },
          h('span', { class: 'mark', 'aria-hidden': 'true' }, c.ok ? '✓' : '✗'),
          h('code', null, c.name),
          ' ',
          h('span', { class: 'sr' }, c.ok ? 'passed: ' : 'failed: '),
          c.message,
        ),
      ),
    ),
    h(
      'p',
      { class: `verdict ${ok ? 'ok' : 'error'}`, role: 'status' },
      ok
        ? 'Verified in this browser.'
        : `Failed at ${failed?.name ?? 'an unfinished check'}: ${failed?.message ?? ''}`,
    ),
  )
}
