import type { GenesisJson } from './api.ts'

export interface PageContext {
  main: HTMLElement
  params: { [name: string]: string }
  query: URLSearchParams
  /** Aborted when the user leaves the page: closes its streams and cancels its fetches. */
  signal: AbortSignal
  /** This node's genesis (from /v1/health at start). */
  nodeGenesis: GenesisJson
  navigate(path: string, replace?: boolean): void
}

export type Page = (ctx: PageContext) => void | Promise<void>

interface Route {
  re: RegExp
  names: string[]
  page: Page
}

/** History API routes (`/devices/:device`): the node serves index.html for any non-API GET, so every URL deep-links. */
export function createRouter(main: HTMLElement, nodeGenesis: GenesisJson, notFound: Page) {
  const routes: Route[] = []
  let current: AbortController | undefined

  const render = async () => {
    current?.abort()
    const ac = new AbortController()
    current = ac
    const path = location.pathname
    let page = notFound
    let params: { [name: string]: string } = {}
    for (const r of routes) {
      const m = r.re.exec(path)
      if (!m) continue
      page = r.page
      params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]))
      break
    }
    main.replaceChildren()
    main.setAttribute('aria-busy', 'true')
    for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a'))
      a.toggleAttribute('aria-current', a.pathname === path)
    try {
      await page({
        main,
        params,
        query: new URLSearchParams(location.search),
        signal: ac.signal,
        nodeGenesis,
        navigate,
      })
    } catch (e) {
      if (!ac.signal.aborted) {
        const p = document.createElement('p')
        p.className = 'notice error'
        p.setAttribute('role', 'alert')
        p.textContent = (e as Error).message
        main.append(p)
      }
    } finally {
      if (current === ac) main.removeAttribute('aria-busy')
    }
  }

  // Counted so a page that finishes loading never takes the focus from a field the user typed in meanwhile.
  let navigations = 0
  let inputs = 0
  document.addEventListener('input', () => inputs++, true)

  const navigate = (to: string, replace = false) => {
    if (replace) history.replaceState(null, '', to)
    else history.pushState(null, '', to)
    const nav = ++navigations
    const typed = inputs
    void render().then(() => {
      // Move focus to the new content so keyboard and screen-reader users land on it, as after a page load; only
      // for the latest navigation (a search that opens its one hit has navigated again) and if nobody typed since.
      if (nav !== navigations || inputs !== typed) return
      const h1 = main.querySelector('h1') as HTMLElement | null
      h1?.setAttribute('tabindex', '-1')
      h1?.focus()
    })
  }

  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    const a = (e.target as Element).closest('a')
    if (
      !a ||
      a.target ||
      a.origin !== location.origin ||
      a.pathname.startsWith('/v1') ||
      a.hasAttribute('download')
    )
      return
    e.preventDefault()
    navigate(a.pathname + a.search)
  })
  window.addEventListener('popstate', () => void render())

  return {
    add(pattern: string, page: Page) {
      const names: string[] = []
      const re = new RegExp(
        `^${pattern.replace(/:(\w+)/g, (_, n: string) => {
          names.push(n)
          return '([^/]+)'
        })}/?$`,
      )
      routes.push({ re, names, page })
    },
    navigate,
    render,
  }
}
