import './style.css'
import { getJson, type Health } from './api.ts'
import { h } from './dom.ts'
import { currentNode, onNodeChange, startNodeRefresh } from './nodes.ts'
import { blockPage, blocksPage } from './pages/block.ts'
import { contractPage, contractsPage } from './pages/contracts.ts'
import { dashboardPage } from './pages/dashboard.ts'
import { devicePage, devicesPage } from './pages/device.ts'
import { drivePage, drivesPage } from './pages/drives.ts'
import { nodesPage } from './pages/nodes.ts'
import { readingPage } from './pages/reading.ts'
import { searchPage } from './pages/search.ts'
import { txPage } from './pages/tx.ts'
import { createRouter, type Page } from './router.ts'
import { renderTrust } from './trust.ts'

/** A page whose code (scrypt, secretbox, dag-pb) loads the first time it is opened, keeping the dashboard small. */
const lazy =
  <K extends string>(load: () => Promise<{ [k in K]: Page }>, name: K): Page =>
  async (ctx) =>
    (await load())[name](ctx)

async function boot(): Promise<void> {
  const main = document.getElementById('main')!
  const trust = document.getElementById('trust')!
  showNode()
  onNodeChange(showNode)
  startNodeRefresh()
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
  router.add(
    '/accounts/:key',
    lazy(() => import('./pages/account.ts'), 'accountPage'),
  )
  router.add(
    '/wallet',
    lazy(() => import('./pages/wallet.ts'), 'walletPage'),
  )
  router.add(
    '/faucet',
    lazy(() => import('./pages/faucet.ts'), 'faucetPage'),
  )
  router.add(
    '/storage',
    lazy(() => import('./pages/storage.ts'), 'storagePage'),
  )
  router.add(
    '/storage/:cid',
    lazy(() => import('./pages/storage.ts'), 'storageFilePage'),
  )
  router.add('/drives', drivesPage)
  router.add('/drives/:id', drivePage)
  router.add('/contracts', contractsPage)
  router.add('/contracts/:id', contractPage)
  router.add('/search', searchPage)
  router.add('/nodes', nodesPage)

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

/** The header names the node the page talks to (it changes when that node fails). */
function showNode(): void {
  const el = document.getElementById('node-in-use')
  if (el) el.replaceChildren('Node: ', h('a', { href: '/nodes', id: 'node-url' }, currentNode()))
}

void boot()
