/// <reference lib="dom" />
// page.evaluate and waitForFunction callbacks run in the browser: they name DOM globals.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWeb, type WebBuild } from '../../web/build.ts'
import { type SteleProcess, spawnStele } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'

// The explorer in a real browser: Debian's chromium driven by playwright-core (never a downloaded browser), against a
// real `stele start` (node, gateway, simulated fleet) on ephemeral ports. Screenshots go to a temp folder it prints.
const CHROMIUM = '/usr/bin/chromium'
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

let build: WebBuild
let dir: Awaited<ReturnType<typeof tempDir>>
let profile = ''
let shots = ''
let stele: SteleProcess | undefined
let context: BrowserContext | undefined
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
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run npm run setup (apt-get install chromium)`)
  build = await buildWeb()
  dir = await tempDir('stele-web-e2e-')
  profile = await mkdtemp(join(tmpdir(), 'stele-chromium-'))
  shots = await mkdtemp(join(tmpdir(), 'stele-web-shots-'))
  console.log(`explorer screenshots: ${shots}`)
  stele = spawnStele([
    'start',
    '--data',
    dir.path,
    '--port',
    '0',
    '--mqtt-port',
    '0',
    '--rate',
    '5',
    '--block-interval',
    '300',
  ])
  const [listening, ctx] = await Promise.all([
    stele.waitFor((l) => String(l['url']).startsWith('http'), 'HTTP address'),
    chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      viewport: { width: 1280, height: 900 },
    }),
  ])
  base = String(listening['url']).replace(/\/$/, '')
  context = ctx
  page = context.pages()[0] ?? (await context.newPage())
  page.on('pageerror', (e) => console.error('page error:', e.message))
  // A confirmed reading exists once a block has sealed the first batch.
  await until(
    () => api('/v1/chain'),
    (c) => c.height >= 2,
    'two blocks',
  )
})

afterAll(async () => {
  await context?.close()
  await stele?.kill()
  await dir?.cleanup()
  await rm(profile, { recursive: true, force: true })
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`
  console.log(
    `explorer page weight: JS ${kib(build.js.raw)} (${kib(build.js.gzip)} gzipped), CSS ${kib(build.css.raw)} (${kib(build.css.gzip)} gzipped)`,
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
      await page.waitForURL((u) => u.pathname === path)
      await page.locator('main h1').waitFor()
    }
    await shot('search-block')
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
