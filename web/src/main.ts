import './style.css'
import { getJson, type Health } from './api.ts'
import { h } from './dom.ts'
import { accountPage } from './pages/account.ts'
import { blockPage, blocksPage } from './pages/block.ts'
import { dashboardPage } from './pages/dashboard.ts'
import { devicePage, devicesPage } from './pages/device.ts'
import { readingPage } from './pages/reading.ts'
import { searchPage } from './pages/search.ts'
import { txPage } from './pages/tx.ts'
import { createRouter } from './router.ts'
import { renderTrust } from './trust.ts'

async function boot(): Promise<void> {
  const main = document.getElementById('main')!
  const trust = document.getElementById('trust')!
  let health: Health
  try {
    health = await getJson<Health>('/v1/health')
  } catch (e) {
    main.replaceChildren(h('p', { class: 'notice error', role: 'alert' }, (e as Error).message))
    return
  }
  const router = createRouter(main, health.genesis, ({ main }) => {
    main.append(
      h('h1', null, 'Not found'),
      h('p', null, 'No page here. ', h('a', { href: '/' }, 'Back to the dashboard')),
    )
  })
  router.add('/', dashboardPage)
  router.add('/devices', devicesPage)
  router.add('/devices/:device', devicePage)
  router.add('/blocks', blocksPage)
  router.add('/blocks/:height', blockPage)
  router.add('/tx/:hash', txPage)
  router.add('/readings/:id', readingPage)
  router.add('/accounts/:key', accountPage)
  router.add('/search', searchPage)

  // Re-rendering after a pin re-runs the page's checks against the newly trusted genesis.
  const showTrust = () =>
    renderTrust(trust, health.genesis, () => {
      showTrust()
      void router.render()
    })
  showTrust()

  const form = document.querySelector<HTMLFormElement>('.search form')!
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const q = (form.elements.namedItem('q') as HTMLInputElement).value.trim()
    if (q) router.navigate(`/search?q=${encodeURIComponent(q)}`)
  })
  await router.render()
}

void boot()
