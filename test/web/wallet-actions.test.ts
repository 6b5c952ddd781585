/// <reference lib="dom" />
// page.evaluate and waitForFunction callbacks run in the browser: they name DOM globals.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWeb } from '../../web/build.ts'
import { type SteleProcess, spawnStele, startArgs, waitForNode } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'
import { openBrowser, shotsDir, type TestBrowser } from './browser.ts'

// The wallet's drive and contract actions, every transaction type's page and contract events on a device chart, in
// Debian's chromium against its own `stele start` (which deploys a sample threshold contract on the simulated `temp`
// sensors). A separate file from explorer.test.ts so each starts one node and stays under a minute.
const THRESHOLD = fileURLToPath(new URL('../../contracts/examples/threshold-alert.js', import.meta.url))
const PASS = 'correct horse battery'

let dir: Awaited<ReturnType<typeof tempDir>>
let shots = ''
let stele: SteleProcess | undefined
let browser: TestBrowser | undefined
let page: Page
let base = ''
const errors: string[] = []

// biome-ignore lint/suspicious/noExplicitAny: the test reads loosely typed JSON from the API
async function api(path: string): Promise<any> {
  return (await fetch(base + path)).json()
}
const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
/** Waits for the pending line of a transaction sent from the wallet to turn confirmed; returns its hash. */
async function confirmed(what: string): Promise<string> {
  const row = page.locator(`#actions-sent li[data-what="${what}"]`).last()
  await row.locator('.status.confirmed').waitFor({ timeout: 45_000 })
  return (await row.getAttribute('data-tx')) as string
}

beforeAll(async () => {
  await buildWeb()
  dir = await tempDir('stele-web-actions-')
  shots = await shotsDir('wallet-actions')
  stele = spawnStele(startArgs(dir.path))
  const [listening, ctx] = await Promise.all([waitForNode(stele), openBrowser()])
  base = String(listening['url']).replace(/\/$/, '')
  browser = ctx
  page = browser.page
  page.on('pageerror', (e) => errors.push(e.message))
})

afterAll(async () => {
  await browser?.close()
  await stele?.kill()
  await dir?.cleanup()
})

// Each test waits on several blocks and a browser; on a loaded 2-core CI machine that can take over 30 s.
describe('wallet actions in Chromium', { timeout: 90_000 }, () => {
  let me = ''
  let drive = ''
  let contract = ''
  let call = ''
  const hashes: { [type: string]: string } = {}

  it('a new key takes faucet coins, creates a drive and puts a file in it; the drive lists the file', async () => {
    await page.goto(`${base}/wallet`)
    await page.fill('#new-pass', PASS)
    await page.fill('#new-pass2', PASS)
    await page.click('#create-key')
    me = (await (
      await page.waitForFunction(() => document.getElementById('wallet-address')?.getAttribute('data-key'))
    ).jsonValue()) as string
    // In-page navigation keeps the key open in this tab.
    await page.getByRole('link', { name: /from the faucet/ }).click()
    await page.click('#faucet-submit')
    await page.waitForFunction(() =>
      /confirmed in block/.test(document.getElementById('faucet-state')?.textContent ?? ''),
    )
    await page.getByRole('link', { name: 'Wallet' }).click()
    await page.waitForFunction(() => document.getElementById('wallet-balance')?.textContent === '100 STL')

    await page.fill('#drive-period', '5')
    await page.click('#drive-create-submit')
    drive = await confirmed('Create drive')
    hashes['drive-create'] = drive
    await page.waitForSelector(`#put-drive option[value="${drive}"]`, { state: 'attached' })
    const file = join(shots, 'notes.txt')
    await writeFile(file, 'readings kept on a drive\n'.repeat(400))
    await page.setInputFiles('#put-file', file)
    await page.click('#drive-put-submit')
    hashes['drive-put'] = await confirmed('Put notes.txt')
    await shot('wallet-drive')
    await page.locator('#drive-put-status a.drive-link').click()
    await page.locator('table.drive-files td', { hasText: 'notes.txt' }).waitFor()
    expect(await page.locator('table.drive-replicators tbody tr').count()).toBeGreaterThan(0)
    await shot('drive-with-file')
    expect((await api(`/v1/drives/${drive}`)).owner).toBe(me)
  })

  it('deploys the threshold example from the wallet (listed on the contracts page), calls its alarms function and sees the result; bad code is refused with the node’s message', async () => {
    await page.getByRole('link', { name: 'Wallet' }).click()
    await page.locator('#deploy-form').waitFor()
    await page.setInputFiles('#deploy-file', THRESHOLD)
    await page.fill('#deploy-name', 'freezer alarm')
    await page.fill('#deploy-sensors', 'temperature')
    await page.click('#deploy-submit')
    contract = await confirmed('Deploy freezer alarm')
    hashes['contract-deploy'] = contract

    const bad = join(shots, 'bad.js')
    await writeFile(bad, 'export function onReading( {')
    await page.setInputFiles('#deploy-file', bad)
    await page.fill('#deploy-name', 'broken')
    await page.click('#deploy-submit')
    await page.waitForSelector('#deploy-status[data-code="STELE_CONTRACT_INVALID"]')
    expect(await page.locator('#deploy-status').textContent()).toMatch(/SyntaxError at line 1/)

    await page.waitForSelector(`#call-contract option[value="${contract}"]`, { state: 'attached' })
    await page.selectOption('#call-contract', contract)
    await page.fill('#call-fn', 'alarms')
    await page.fill('#call-args', '{ "b": 1, "a": [true] }')
    await page.click('#call-submit')
    call = await confirmed('Call alarms')
    hashes['contract-call'] = call
    await shot('wallet-contract')

    await page.goto(`${base}/contracts`)
    await page.locator(`table.contracts a[href="/contracts/${contract}"]`).click()
    await page.locator('#contract-code').waitFor()
    expect(await page.locator('#contract-code pre').textContent()).toContain('export function alarms')
    // The call's result arrives in a later block.
    const result = await until(
      async () =>
        (
          (await api(`/v1/contracts/${contract}/results`)).items as { call: string | null; hash: string }[]
        ).find((r) => r.call === call),
      { what: 'the call’s result', timeoutMs: 45_000 },
    )
    hashes['contract-result'] = result.hash
    await page.reload()
    await page.locator(`a[href="/tx/${result.hash}"]`).first().waitFor()
    await page.locator('#reexec-none, table.contract-evidence').first().waitFor()
    await shot('contract')
  })

  it('a sample contract event is marked on the device chart and listed under it', async () => {
    const sample = ((await api('/v1/contracts')).items as { id: string; name: string }[]).find((c) =>
      c.name.includes('sample'),
    )!
    const event = await until(
      async () =>
        (
          (await api(`/v1/contracts/${sample.id}/events?limit=20`)).items as { data: { device: string } }[]
        )[0],
      { what: 'a sample contract event', timeoutMs: 45_000 },
    )
    await page.goto(`${base}/devices/${encodeURIComponent(event.data.device)}`)
    await page.locator('#contract-events li').first().waitFor()
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('figure.chart')).some(
        (f) => Number(f.getAttribute('data-marks')) > 0,
      ),
    )
    await shot('device-contract-events')
  })

  it('closes the drive; every transaction type seen renders its page, decoded, without an error', async () => {
    // The page was reloaded since: the key is sealed again until its passphrase opens it.
    await page.getByRole('link', { name: 'Wallet' }).click()
    await page.fill('#unlock-pass', PASS)
    await page.click('#unlock-form button[type=submit]')
    await page.waitForSelector('#lock-state[data-unlocked]')
    await page.waitForSelector(`#close-drive option[value="${drive}"]`, { state: 'attached' })
    await page.selectOption('#close-drive', drive)
    page.once('dialog', (d) => void d.accept())
    await page.click('#drive-close-submit')
    hashes['drive-close'] = await confirmed('Close drive')

    // The node's own transactions: storage proofs it answered as the drive's replicator, contract results, …
    const node = (await api(`/v1/drives/${drive}`)).replicators[0]?.key as string | undefined
    for (const key of [node, me])
      if (key)
        for (const t of (await api(`/v1/accounts/${key}/transactions?limit=100`)).items as {
          hash: string
          type: string
        }[])
          hashes[t.type] ??= t.hash
    const blocks = (await api('/v1/blocks?limit=5')).items as { transactions: string[] }[]
    for (const h of blocks.flatMap((b) => b.transactions).slice(0, 10)) {
      const t = await api(`/v1/transactions/${h}`)
      hashes[t.type] ??= h
    }
    for (const type of ['drive-create', 'drive-put', 'drive-close', 'contract-deploy', 'contract-call'])
      expect(hashes[type], type).toBeDefined()
    console.log(`transaction types rendered: ${Object.keys(hashes).sort().join(', ')}`)
    for (const [type, hash] of Object.entries(hashes)) {
      await page.goto(`${base}/tx/${hash}`)
      await page.locator('section.checks').first().waitFor()
      expect(await page.locator('main .notice.error').count(), type).toBe(0)
      if (/^(drive|contract|storage)-/.test(type)) await page.locator('#tx-decoded').waitFor()
      await shot(`tx-${type}`)
    }
    expect(errors).toEqual([])
  })
})
