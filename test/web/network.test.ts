/// <reference lib="dom" />
// page.waitForFunction callbacks run in the browser: they name DOM globals.
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestnetLayout } from '../../cli/commands/testnet-setup.ts'
import {
  converged,
  getJson,
  layoutTestnet,
  registeredGateway,
  startNodes,
  submitNextBatch,
  urlOf,
} from '../e2e/network-helpers.ts'
import type { BatchMaker } from '../helpers/batches.ts'
import type { SteleProcess } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'
import { openBrowser, shotsDir, type TestBrowser } from './browser.ts'

// The explorer on a real 3-node testnet (three `stele node` processes) in Chromium: the node mesh, and failover
// when the node that served the page dies. Serves the built web/dist (`npm install` runs `npm run prepare`).
describe('explorer on a network', { timeout: 90_000 }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let layout: TestnetLayout
  let procs: SteleProcess[] = []
  let browser: TestBrowser
  let page: Page
  let shots = ''
  let maker: BatchMaker
  const errors: string[] = []
  const url = (i: number) => urlOf(layout, i)

  beforeAll(async () => {
    dir = await tempDir('stele-web-net-')
    layout = await layoutTestnet(dir.path, 3)
    ;[procs, browser, shots] = await Promise.all([
      startNodes(layout, 3),
      openBrowser(),
      shotsDir('web-network'),
    ])
    page = browser.page
    page.on('pageerror', (e) => errors.push(e.message))
    // Blocks seal transactions: the gateway's registration is block 1.
    maker = await registeredGateway(layout)
    await converged(layout, [0, 1, 2], 1)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await Promise.all(procs.map((p) => p.kill('SIGKILL')))
    await dir?.cleanup()
  })

  it('shows every chain node with roles, heads and who is connected to whom', async () => {
    await page.goto(`${url(0)}/nodes?nodes=${url(1)},${url(2)}`)
    const rows = page.locator('table.mesh-nodes tbody tr')
    // Each node answered for itself (Reached), and each reports both others connected.
    await page.waitForFunction(
      () => {
        const reached = Array.from(document.querySelectorAll('table.mesh-nodes tbody tr td:last-child'))
        const links = Array.from(document.querySelectorAll('table.mesh-links tbody td')).filter(
          (t) => t.textContent === '●',
        )
        return reached.length === 3 && reached.every((t) => t.textContent === 'yes') && links.length === 6
      },
      null,
      { timeout: 30_000 },
    )
    const keys = (await getJson(`${url(0)}/v1/nodes`)).body.nodes.map(
      (n: { key: string }) => n.key,
    ) as string[]
    expect(keys).toHaveLength(3)
    for (let i = 0; i < 3; i++) {
      const cells = await rows.nth(i).locator('td').allTextContents()
      // Node, Address, Roles, Producer, Head, Head hash, Final, Lag, Peers, Reached
      expect(cells[2]).toContain('producer')
      expect(cells[3]).toBe('yes')
      expect(Number(cells[4])).toBeGreaterThanOrEqual(1)
      expect(cells[5]).toMatch(/^[0-9a-f]{12}…$/)
      expect(Number(cells[6])).toBeGreaterThanOrEqual(0)
      expect(cells[8]).toBe('2')
    }
    expect((await rows.locator('td:nth-child(2)').allTextContents()).sort()).toEqual(
      [0, 1, 2].map(url).sort(),
    )
    expect(await page.locator('#node-url').textContent()).toBe(url(0))
    await page.screenshot({ path: join(shots, 'mesh.png'), fullPage: true })
  })

  it('keeps working from another listed node when the one that served it dies, and says which', async () => {
    await page.goto(`${url(0)}/blocks?nodes=${url(1)},${url(2)}`)
    const top = async () =>
      Number(await page.locator('main table tbody tr td:first-child').first().textContent())
    await page.locator('main table tbody tr').first().waitFor()
    const before = await top()
    await procs[0]!.kill('SIGKILL')
    // The survivors keep producing; the page (no reload: node 0 is gone) refreshes its block list from one of them.
    await submitNextBatch(layout, maker, 1, 3, 30_000)
    const { height } = await converged(layout, [1, 2], before + 1, 60_000)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Blocks' }).click()
    await page.waitForFunction(
      (min) => Number(document.querySelector('main table tbody tr td:first-child')?.textContent) >= min,
      height,
      { timeout: 30_000 },
    )
    expect(await top()).toBeGreaterThan(before)
    const now = await page.locator('#node-url').textContent()
    expect([url(1), url(2)]).toContain(now)
    await page.screenshot({ path: join(shots, 'failover.png'), fullPage: true })
    expect(errors).toEqual([])
  })
})
