import { ApiError } from '../api.ts'
import { h, notice } from '../dom.ts'

/** "Not on this node yet": a layer this front end knows about before the node serves it. */
export function notYet(main: HTMLElement, what: string): void {
  main.append(notice('info', h('strong', { class: 'not-yet' }, 'Not on this node yet: '), what))
}

/**
 * A node without the route (`what` names the API it lacks) or a chain without the layer (the node says why): says so
 * instead of failing; false for any other error, which the caller rethrows.
 */
export function unavailable(main: HTMLElement, e: unknown, what: string): boolean {
  if (e instanceof ApiError && e.missingRoute) {
    notYet(main, what)
    return true
  }
  if (e instanceof ApiError && e.code === 'STELE_UNAVAILABLE') {
    main.append(notice('info', h('strong', { class: 'not-yet' }, 'Not on this chain: '), e.message))
    return true
  }
  return false
}

/** The line of an empty list: what is missing and the command that makes one. */
export const emptyList = (id: string, text: string, command: string): HTMLElement =>
  h('p', { class: 'muted', id }, `${text} (`, h('code', null, command), ').')
