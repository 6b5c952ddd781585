import { ApiError, getJson } from '../api.ts'
import { h, notice } from '../dom.ts'
import type { Page } from '../router.ts'

/**
 * A layer this front end knows about before the node serves it (drives, contracts): the page asks the node's route
 * and says "not on this node yet" while the API answers 404 "no route". Once the route exists its items are listed.
 */
export function layerPage(title: string, route: string, what: string): Page {
  return async ({ main, signal }) => {
    main.append(h('h1', null, title))
    try {
      const r = await getJson<{ items?: unknown[] }>(route, signal)
      const items = r.items ?? []
      main.append(
        items.length
          ? h('pre', { class: 'mono', id: 'layer-items' }, JSON.stringify(items, null, 2))
          : h('p', { class: 'muted', id: 'layer-items' }, `No ${title.toLowerCase()} yet.`),
      )
    } catch (e) {
      if (e instanceof ApiError && (e.missingRoute || e.code === 'STELE_UNAVAILABLE')) {
        main.append(notice('info', h('strong', { class: 'not-yet' }, 'Not on this node yet: '), what))
        return
      }
      throw e
    }
  }
}
