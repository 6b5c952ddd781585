import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'

// Debian's chromium driven by playwright-core (never a downloaded browser), for the explorer's tests.
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

export interface TestBrowser {
  context: BrowserContext
  page: Page
  /** Closes the browser and removes its profile. */
  close(): Promise<void>
}

/** A headless Chromium with a fresh profile, one page open at 1280×900. */
export async function openBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run npm run setup (apt-get install chromium)`)
  const profile = await mkdtemp(join(tmpdir(), 'stele-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1280, height: 900 },
  })
  const page = context.pages()[0] ?? (await context.newPage())
  return {
    context,
    page,
    close: async () => {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}

/** A temp folder for screenshots, printed so a run can be looked at. */
export async function shotsDir(what: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `stele-${what}-shots-`))
  console.log(`${what} screenshots: ${dir}`)
  return dir
}
