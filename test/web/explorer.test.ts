/// <reference lib="dom" />
// page.evaluate and waitForFunction callbacks run in the browser: they name DOM globals.
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { driveCommand } from '../../cli/commands/drive.ts'
import { readWalletKey, writeWalletKey } from '../../cli/wallet-key.ts'
import { toHex } from '../../core/bytes.ts'
import { generateKeyPair } from '../../core/ed25519.ts'
import { buildWeb, type WebBuild } from '../../web/build.ts'
import { type SteleProcess, spawnStele, startArgs, waitForNode } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'
import { openBrowser, shotsDir, type TestBrowser } from './browser.ts'

// The explorer in a real browser: Debian's chromium driven by playwright-core (never a downloaded browser), against a
// real `stele start` (node, gateway, simulated fleet) on ephemeral ports. Screenshots go to a temp folder it prints.

let build: WebBuild
let dir: Awaited<ReturnType<typeof tempDir>>
let shots = ''
let stele: SteleProcess | undefined
let browser: TestBrowser | undefined
let page: Page
let base = ''
const timings: string[] = []

// biome-ignore lint/suspicious/noExplicitAny: the test reads loosely typed JSON from the API
async function api(path: string): Promise<any> {
  const r = await fetch(base + path)
  return r.json()
}

/** Polls the API until `pred` holds; each round trip is the wait. */
async function until<T>(
  fn: () => Promise<T>,
  pred: (v: T) => boolean,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (pred(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })

/** Milliseconds from navigation start to the page's first chart with points (the `stele:first-chart` mark). */
async function firstChartMs(): Promise<number> {
  await page.waitForFunction(() => performance.getEntriesByName('stele:first-chart').length > 0)
  return page.evaluate(() => Math.round(performance.getEntriesByName('stele:first-chart')[0]!.startTime))
}

beforeAll(async () => {
  build = await buildWeb()
  dir = await tempDir('stele-web-e2e-')
  shots = await shotsDir('explorer')
  stele = spawnStele(startArgs(dir.path))
  const [listening, ctx] = await Promise.all([waitForNode(stele), openBrowser()])
  base = String(listening['url']).replace(/\/$/, '')
  browser = ctx
  page = browser.page
  page.on('pageerror', (e) => console.error('page error:', e.message))
  // A confirmed reading exists once a block has sealed the first batch.
  await until(
    () => api('/v1/chain'),
    (c) => c.height >= 2,
    'two blocks',
  )
})

afterAll(async () => {
  await browser?.close()
  await stele?.kill()
  await dir?.cleanup()
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`
  console.log(
    `explorer page weight: JS with the page ${kib(build.initialJs.raw)} (${kib(build.initialJs.gzip)} gzipped), all JS ${kib(build.js.raw)} (${kib(build.js.gzip)} gzipped), CSS ${kib(build.css.raw)} (${kib(build.css.gzip)} gzipped)`,
  )
  console.log(`explorer time to first chart: ${timings.join(', ')}`)
})

describe('explorer in Chromium', () => {
  it('dashboard: shows the chain height and a chart; the user pins the genesis', async () => {
    await page.goto(`${base}/`)
    const height = await page.waitForFunction(() => {
      const n = Number(document.getElementById('stat-height')?.textContent)
      return n > 0 ? n : null
    })
    expect(await height.jsonValue()).toBeGreaterThan(0)
    timings.push(`dashboard ${await firstChartMs()} ms`)
    expect(Number(await page.locator('figure.chart').first().getAttribute('data-points'))).toBeGreaterThan(0)
    // The producer count is the next block's set from /v1/health, with the genesis count beside it.
    const producers = (await api('/v1/health')).producers as string[]
    await expect(page.locator('#stat-producers').textContent()).resolves.toMatch(
      new RegExp(`^${producers.length} \\(1 in genesis\\), `),
    )
    const genesis = (await api('/v1/health')).genesis.hash as string
    await expect(page.locator('.trust').textContent()).resolves.toContain(genesis)
    await page.click('#pin-genesis')
    await page.waitForSelector('.trust.ok')
    expect(await page.evaluate(() => localStorage.getItem('stele.trustedGenesis'))).toContain(genesis)
    // Devices online come from the stream's status snapshot.
    await page.waitForFunction(() =>
      /^[1-9]\d* of/.test(document.getElementById('stat-devices')?.textContent ?? ''),
    )
    await shot('dashboard')
  })

  it('device page: the chart draws points, raw and aggregated, and latest readings show their status', async () => {
    const devices = (await api('/v1/devices')).items as { device: string }[]
    const device = devices[0]!.device
    await page.goto(`${base}/devices/${encodeURIComponent(device)}`)
    timings.push(`device page ${await firstChartMs()} ms`)
    await page.waitForFunction(
      () => Number(document.querySelector('figure.chart')?.getAttribute('data-points')) > 0,
    )
    await expect(page.locator('#chart-mode').textContent()).resolves.toContain('Raw readings')
    const statuses = await page.locator('#latest td.status').allTextContents()
    expect(statuses.length).toBeGreaterThan(0)
    for (const s of statuses) expect(['pending', 'confirmed']).toContain(s)
    // Live: new readings arrive over SSE and extend the chart.
    const before = Number(await page.locator('figure.chart').first().getAttribute('data-points'))
    await page.waitForFunction(
      (n) => Number(document.querySelector('figure.chart')?.getAttribute('data-points')) > n,
      before,
    )
    await shot('device-raw')
    await page.getByRole('button', { name: '1 day' }).click()
    await page.waitForFunction(() => /buckets/.test(document.getElementById('chart-mode')?.textContent ?? ''))
    await page.waitForFunction(
      () => Number(document.querySelector('figure.chart')?.getAttribute('data-points')) > 0,
    )
    await shot('device-1-day')
  })

  it('block page: the signature check passes in the page, and fails for a changed signature', async () => {
    const tip = (await api('/v1/chain')).height as number
    await page.goto(`${base}/blocks/${tip}`)
    const checks = page.locator('section.checks')
    await checks.waitFor()
    expect(await checks.getAttribute('data-verdict')).toBe('ok')
    expect(await page.locator('section.checks li.pass').count()).toBe(5)
    await shot('block')
    await page.route(`**/v1/blocks/${tip}`, async (route) => {
      const res = await route.fetch()
      const b = await res.json()
      b.signature = (b.signature[0] === '0' ? '1' : '0') + b.signature.slice(1)
      await route.fulfill({ response: res, json: b })
    })
    await page.reload()
    await page.locator('section.checks').waitFor()
    expect(await page.locator('section.checks').getAttribute('data-verdict')).toBe('failed')
    expect(await page.locator('section.checks').getAttribute('data-failed')).toBe('block.signature')
    await page.unroute(`**/v1/blocks/${tip}`)
  })

  it('reading page: the proof verifies in the page against the pinned genesis; a tampered one fails at a named check', async () => {
    const device = ((await api('/v1/devices')).items as { device: string }[])[0]!.device
    const first = await until(
      () => api(`/v1/devices/${encodeURIComponent(device)}/readings?limit=1`),
      (r) => r.items[0]?.status === 'confirmed',
      'a confirmed reading',
    )
    const id = first.items[0].id as string
    await page.goto(`${base}/readings/${id}`)
    const checks = page.locator('section.checks')
    await checks.waitFor()
    expect(await checks.getAttribute('data-verdict')).toBe('ok')
    expect(await page.locator('section.checks li.pass').count()).toBe(11)
    await expect(page.locator('li[data-check="genesis.trusted"]').textContent()).resolves.toContain(
      'matches the trusted',
    )
    await shot('reading-proof')

    await page.route(`**/v1/readings/${id}/proof`, async (route) => {
      const res = await route.fetch()
      const p = await res.json()
      const at = p.blockSignature.length - 2
      p.blockSignature =
        p.blockSignature.slice(0, at) +
        (p.blockSignature[at] === 'a' ? 'b' : 'a') +
        p.blockSignature.slice(at + 1)
      await route.fulfill({ response: res, json: p })
    })
    await page.reload()
    await page.locator('section.checks').waitFor()
    expect(await page.locator('section.checks').getAttribute('data-verdict')).toBe('failed')
    expect(await page.locator('section.checks').getAttribute('data-failed')).toBe('block.signature')
    await expect(page.locator('.verdict').textContent()).resolves.toContain('Failed at block.signature')
    await shot('reading-proof-tampered')
    await page.unroute(`**/v1/readings/${id}/proof`)

    // The page's own editor: a changed record byte fails where the record is checked.
    await page.reload()
    await page.locator('section.checks[data-verdict="ok"]').waitFor()
    await page.locator('details summary').click()
    const edited = await page.locator('#proof-json').inputValue()
    const p = JSON.parse(edited)
    const last = p.record.length - 1
    p.record = p.record.slice(0, last) + (p.record[last] === '0' ? '1' : '0')
    await page.locator('#proof-json').fill(JSON.stringify(p))
    await page.click('#reverify')
    const failed = await page.locator('section.checks').getAttribute('data-failed')
    expect(['record.decode', 'record.gateway', 'record.inclusion']).toContain(failed)
  })

  it('search finds a device, a block by height and a block by hash', async () => {
    const device = ((await api('/v1/devices')).items as { device: string }[])[0]!.device
    const block = await api('/v1/blocks/1')
    await page.goto(`${base}/`)
    for (const [q, path] of [
      [device, `/devices/${encodeURIComponent(device)}`],
      ['1', '/blocks/1'],
      [block.hash, '/blocks/1'],
    ] as const) {
      await page.fill('#q', q)
      await page.press('#q', 'Enter')
      // On a miss, say where the search ended and what it showed (hits, an error) rather than only timing out.
      await page
        .waitForURL((u) => u.pathname === path, { timeout: 20_000 })
        .catch(async (e: Error) => {
          const text = await page
            .locator('main')
            .textContent()
            .catch(() => '(no main)')
          throw new Error(`search for ${q}: at ${page.url()}, expected ${path}; the page says: ${text}`, {
            cause: e,
          })
        })
      await page.locator('main h1').waitFor()
    }
    await shot('search-block')
  })

  it('a page that finishes loading leaves the focus in the search box the user typed in meanwhile', async () => {
    const device = ((await api('/v1/devices')).items as { device: string }[])[0]!.device
    // The device page's readings are held until the user has typed, so the page finishes loading after the typing.
    let release = () => {}
    const held = new Promise<void>((r) => {
      release = r
    })
    let loading = () => {}
    const asked = new Promise<void>((r) => {
      loading = r
    })
    const readings = (u: URL) => u.pathname.startsWith('/v1/devices/') && u.pathname.endsWith('/readings')
    await page.route(readings, async (route) => {
      loading()
      await held
      await route.continue()
    })
    try {
      await page.goto(`${base}/`)
      await page.fill('#q', device)
      await page.press('#q', 'Enter')
      await asked
      await page.fill('#q', '1')
      release()
      await page.locator('main h1').waitFor()
      await page.locator('main:not([aria-busy])').waitFor()
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('q')
    } finally {
      release()
      await page.unroute(readings)
    }
  })

  it('a layer this node lacks shows "not on this node yet" (the API answers 404 for the route)', async () => {
    const key = 'ab'.repeat(32)
    const r = await fetch(`${base}/v1/accounts/${key}`)
    await page.goto(`${base}/accounts/${key}`)
    await page.locator('main h1').waitFor()
    const body = r.status === 404 ? ((await r.json()) as { error?: { message?: string } }) : null
    if (body?.error?.message?.startsWith('no route')) await page.locator('.not-yet').waitFor()
    else await page.locator('main dl').first().waitFor()
  })

  it('fits a phone screen and starts keyboard navigation at the skip link', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${base}/`)
    await page.waitForFunction(() => Number(document.getElementById('stat-height')?.textContent) > 0)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(1)
    await shot('dashboard-phone')
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
  })
})

describe('wallet, faucet, accounts and storage in Chromium', () => {
  const PASS = 'correct horse battery'
  let alice = ''
  let bob = ''
  let transferHash = ''
  /** The wallet's active key, as the page stored it (sealed) in localStorage. */
  const activeKey = () =>
    page.evaluate(() => JSON.parse(localStorage.getItem('stele.wallet') ?? '{}').active as string)

  async function createKey(): Promise<string> {
    await page.fill('#new-pass', PASS)
    await page.fill('#new-pass2', PASS)
    const before = await activeKey().catch(() => '')
    await page.click('#create-key')
    await page.waitForFunction((b) => {
      const k = document.getElementById('wallet-address')?.getAttribute('data-key')
      return k && k !== b ? k : null
    }, before ?? '')
    return activeKey()
  }

  it('wallet: creates a key sealed in the browser; the faucet grants coins, confirmed over the stream, then shows the cooldown', async () => {
    await page.setViewportSize({ width: 1280, height: 900 })
    await page.goto(`${base}/wallet`)
    await page.locator('#create-form').waitFor()
    alice = await createKey()
    expect(alice).toMatch(/^[0-9a-f]{64}$/)
    const stored = await page.evaluate(() => localStorage.getItem('stele.wallet') ?? '')
    expect(stored).toContain('"kdf":"scrypt"')
    expect(stored).not.toContain('secretKey')
    await expect(page.locator('#wallet-balance').textContent()).resolves.toBe('0 STL')

    await page.getByRole('link', { name: /from the faucet/ }).click()
    await page.locator('#faucet-form').waitFor()
    expect(await page.inputValue('#faucet-address')).toBe(alice)
    await page.click('#faucet-submit')
    await page.waitForFunction(() =>
      /confirmed in block/.test(document.getElementById('faucet-state')?.textContent ?? ''),
    )
    await shot('faucet-granted')
    // The same address again: refused with STELE_RATE_LIMITED and its retryAfterMs counted down.
    await page.click('#faucet-submit')
    await page.waitForSelector('#faucet-result[data-code="STELE_RATE_LIMITED"] #cooldown')
    const first = await page.locator('#cooldown').textContent()
    expect(first).toMatch(/^\d+:\d\d$/)
    expect(await page.locator('#faucet-submit').isDisabled()).toBe(true)
    await page.waitForFunction((t) => document.getElementById('cooldown')?.textContent !== t, first)
    await shot('faucet-cooldown')
    expect((await api(`/v1/accounts/${alice}`)).balance).toBe('100000000')
  })

  it('wallet: a transfer signed in the page is shown pending, then confirmed; balances follow', async () => {
    await page.getByRole('link', { name: 'Wallet' }).click()
    await page.locator('#create-form').waitFor()
    bob = await createKey()
    expect(bob).not.toBe(alice)
    // A reload forgets the opened keys: Alice's must be unlocked with the passphrase again.
    await page.evaluate((k) => {
      const s = JSON.parse(localStorage.getItem('stele.wallet')!)
      localStorage.setItem('stele.wallet', JSON.stringify({ ...s, active: k }))
    }, alice)
    await page.goto(`${base}/wallet`)
    await page.locator('#unlock-form').waitFor()
    await page.fill('#unlock-pass', 'wrong passphrase')
    await page.click('#unlock-form button[type=submit]')
    await page.waitForFunction(() =>
      /wrong passphrase/.test(document.querySelector('#unlock-form')?.textContent ?? ''),
    )
    await page.fill('#unlock-pass', PASS)
    await page.click('#unlock-form button[type=submit]')
    await page.waitForSelector('#lock-state[data-unlocked]')
    await page.waitForFunction(() => document.getElementById('wallet-balance')?.textContent === '100 STL')

    await page.fill('#send-to', bob)
    await page.fill('#send-amount', '12.5')
    await page.fill('#send-memo', 'rent')
    await page.click('#send-submit')
    const row = page.locator('#sent li').first()
    await row.waitFor()
    transferHash = (await row.getAttribute('data-tx')) as string
    await page.waitForFunction(() =>
      /confirmed in block/.test(document.querySelector('#sent li .status')?.textContent ?? ''),
    )
    // 100 − 12.5 − the 0.001 fee, refreshed by the stream event.
    await page.waitForFunction(() => document.getElementById('wallet-balance')?.textContent === '87.499 STL')
    await page.locator('#history td', { hasText: '−12.5 STL' }).waitFor()
    await shot('wallet')
    expect((await api(`/v1/accounts/${alice}`)).balance).toBe('87499000')
    expect((await api(`/v1/accounts/${bob}`)).balance).toBe('12500000')
    const tx = await api(`/v1/transactions/${transferHash}`)
    expect(tx.payload).toMatchObject({ to: bob, amount: '12500000', memo: 'rent', fee: '1000' })
  })

  it('key files: the export is read by the CLI reader; exported and CLI-written files import back', async () => {
    const download = page.waitForEvent('download')
    await page.click('#export-key')
    const exported = join(shots, 'alice.key.json')
    await (await download).saveAs(exported)
    const key = await readWalletKey(exported, PASS)
    expect(toHex(key.publicKey)).toBe(alice)
    await expect(readWalletKey(exported, 'not it')).rejects.toThrow(/passphrase/)

    page.once('dialog', (d) => void d.accept())
    await page.click('#remove-key')
    await page.waitForFunction((a) => !localStorage.getItem('stele.wallet')?.includes(a), alice)
    await page.setInputFiles('#import-file', exported)
    await page.fill('#import-pass', PASS)
    await page.click('#import-key')
    await page.waitForFunction(
      (a) => document.getElementById('wallet-address')?.getAttribute('data-key') === a,
      alice,
    )
    await page.waitForFunction(() => document.getElementById('wallet-balance')?.textContent === '87.499 STL')

    // A key file the CLI wrote (sealed, lighter scrypt to keep the test quick) opens in the page.
    const cliKey = generateKeyPair(() => new Uint8Array(randomBytes(32)))
    const cliFile = join(shots, 'cli.key.json')
    await writeWalletKey(cliFile, cliKey, 'cli passphrase', { n: 1024, r: 8, p: 1 })
    await page.setInputFiles('#import-file', cliFile)
    await page.fill('#import-pass', 'cli passphrase')
    await page.click('#import-key')
    await page.waitForFunction(
      (a) => document.getElementById('wallet-address')?.getAttribute('data-key') === a,
      toHex(cliKey.publicKey),
    )
    expect(JSON.parse(await readFile(cliFile, 'utf8')).sealed.n).toBe(1024)
  })

  it('transaction and account pages: decoded transfer, search by hash and key, account proof verified and a tampered one failing', async () => {
    await page.goto(`${base}/`)
    await page.fill('#q', transferHash)
    await page.press('#q', 'Enter')
    await page.waitForURL((u) => u.pathname === `/tx/${transferHash}`)
    await expect(page.locator('#tx-amount').textContent()).resolves.toBe('12.5 STL')
    const inclusion = page.locator('section.checks[aria-labelledby="h-inclusion"]')
    await inclusion.waitFor()
    expect(await inclusion.getAttribute('data-verdict')).toBe('ok')
    expect(await inclusion.locator('li.pass').count()).toBe(4)
    expect(
      await page.locator('section.checks[aria-labelledby="h-checks"]').getAttribute('data-verdict'),
    ).toBe('ok')
    await shot('tx-transfer')
    // Another leaf index for the same path: the inclusion check fails where the path is followed.
    await page.route(`**/v1/transactions/${transferHash}`, async (route) => {
      const res = await route.fetch()
      const t = await res.json()
      t.proof.txIndex += 1
      await route.fulfill({ response: res, json: t })
    })
    await page.reload()
    await inclusion.waitFor()
    expect(await inclusion.getAttribute('data-failed')).toBe('tx.inclusion')
    await page.unroute(`**/v1/transactions/${transferHash}`)

    await page.fill('#q', alice)
    await page.press('#q', 'Enter')
    await page.waitForURL((u) => u.pathname === `/accounts/${alice}`)
    const checks = page.locator('section.checks')
    await checks.waitFor()
    expect(await checks.getAttribute('data-verdict')).toBe('ok')
    expect(await page.locator('section.checks li.pass').count()).toBe(6)
    await expect(page.locator('#account-balance').textContent()).resolves.toBe('87.499 STL')
    await page.locator('#history td', { hasText: 'faucet-grant' }).waitFor()
    await shot('account')

    await page.route(`**/v1/accounts/${alice}/proof`, async (route) => {
      const res = await route.fetch()
      const p = await res.json()
      // One more base unit in the balance field of the account value (version, then the u64 balance).
      const v = p.value as string
      p.value = v.slice(0, 17) + ((Number.parseInt(v[17]!, 16) + 1) % 16).toString(16) + v.slice(18)
      await route.fulfill({ response: res, json: p })
    })
    await page.reload()
    await page.locator('section.checks').waitFor()
    expect(await page.locator('section.checks').getAttribute('data-verdict')).toBe('failed')
    expect(await page.locator('section.checks').getAttribute('data-failed')).toBe('state.proof')
    await shot('account-proof-tampered')
    await page.unroute(`**/v1/accounts/${alice}/proof`)
  })

  it('storage: uploads a file, verifies a byte-offset proof (and a tampered leaf fails), downloads it byte-exact', async () => {
    const bytes = randomBytes(600_000)
    const src = join(shots, 'upload.bin')
    await writeFile(src, bytes)
    await page.goto(`${base}/storage`)
    await page.setInputFiles('#upload-file', src)
    await page.click('#upload-submit')
    const cid = (await page.locator('#upload-cid').textContent()) as string
    expect(cid).toMatch(/^bafy/)
    expect(await page.locator('#upload-size').textContent()).toBe('600000')
    expect(Number(await page.locator('#upload-blocks').textContent())).toBeGreaterThan(2)
    await shot('storage-upload')

    await page.locator('#upload-result a').first().click()
    await page.waitForURL((u) => u.pathname === `/storage/${cid}`)
    const checks = page.locator('section.checks')
    await checks.waitFor()
    expect(await checks.getAttribute('data-verdict')).toBe('ok')
    expect(await page.locator('section.checks li.pass').count()).toBe(6)
    await shot('storage-file')

    const download = page.waitForEvent('download')
    await page.click('#download')
    const got = join(shots, 'download.bin')
    await (await download).saveAs(got)
    expect(Buffer.compare(await readFile(got), bytes)).toBe(0)

    await page.route(`**/v1/storage/files/${cid}/proof*`, async (route) => {
      const res = await route.fetch()
      const p = await res.json()
      const leaf = Buffer.from(p.leaf, 'base64')
      leaf[0] = leaf[0]! ^ 1
      p.leaf = leaf.toString('base64')
      await route.fulfill({ response: res, json: p })
    })
    await page.fill('#proof-offset', '1000')
    await page.click('#proof-form button[type=submit]')
    await page.waitForSelector('section.checks[data-verdict="failed"]')
    expect(await page.locator('section.checks').getAttribute('data-failed')).toBe('leaf.hash')
    await page.unroute(`**/v1/storage/files/${cid}/proof*`)
    await page.goto(`${base}/search?q=${cid}`)
    await page.waitForURL((u) => u.pathname === `/storage/${cid}`)
  })

  it('drives: the list shows a drive created with the wallet key, its page the terms and each replicator', async () => {
    // Alice's key file, exported by the page in the key-files test; the CLI signs and waits for the block.
    process.env['STELE_WEB_PASS'] = PASS
    const lines: string[] = []
    const key = join(shots, 'alice.key.json')
    const argv = ['create', '--capacity', '1000000', '--duration', '1000', '--key', key]
    await driveCommand([...argv, '--passphrase-env', 'STELE_WEB_PASS', '--node', base, '--json'], (l) =>
      lines.push(l),
    )
    const id = JSON.parse(lines[0]!).drive as string
    await page.goto(`${base}/drives`)
    await page.locator(`table.drives a[href="/drives/${id}"]`).waitFor()
    await shot('drives')
    await page.click(`table.drives a[href="/drives/${id}"]`)
    await page.locator('table.drive-replicators').waitFor()
    expect(await page.locator('#drive-status').textContent()).toBe('active')
    expect(await page.locator('table.drive-replicators tbody tr').count()).toBe(1)
    await shot('drive')
  })

  it('contracts: "not on this node yet" while the node lacks the route, else what it serves', async () => {
    const r = await fetch(`${base}/v1/contracts`)
    const body = r.status === 404 ? ((await r.json()) as { error?: { message?: string } }) : null
    await page.goto(`${base}/contracts`)
    await page.locator('main h1').waitFor()
    if (body?.error?.message?.startsWith('no route')) await page.locator('.not-yet').waitFor()
    else
      await page
        .locator(r.ok ? '#contracts-empty, table.contracts' : '.not-yet')
        .first()
        .waitFor()
    await shot('contracts')
  })

  it('wallet, account and storage pages fit a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    for (const [path, ready, name] of [
      ['/wallet', '#wallet-balance', 'wallet-phone'],
      [`/accounts/${alice}`, 'section.checks', 'account-phone'],
      ['/storage', '#upload-form', 'storage-phone'],
    ] as const) {
      await page.goto(`${base}${path}`)
      await page.locator(ready).waitFor()
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(overflow, path).toBeLessThanOrEqual(1)
      await shot(name)
    }
  })
})
