import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isSteleError } from '../../core/errors.ts'
import { openLevel } from '../../core/level.ts'
import { tempDir } from '../helpers/tmp.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function folder(): Promise<string> {
  const t = await tempDir()
  cleanups.push(t.cleanup)
  return join(t.path, 'db')
}

describe('openLevel', () => {
  it('opens a folder with the given encodings', async () => {
    const path = await folder()
    const db = await openLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    cleanups.push(() => db.close())
    await db.put('k', new Uint8Array([1, 2]))
    expect([...((await db.get('k')) ?? [])]).toEqual([1, 2])
  })

  it('reports a folder already open elsewhere as held by another process, with the LEVEL_LOCKED cause', async () => {
    const path = await folder()
    const first = await openLevel(path)
    cleanups.push(() => first.close())
    const err = await openLevel(path, { what: 'gateway outbox' }).catch((e: unknown) => e)
    expect(isSteleError(err, 'STELE_STORAGE')).toBe(true)
    if (!isSteleError(err)) return
    expect(err.message).toContain(path)
    expect(err.message).toMatch(/gateway outbox folder .* held by another process/)
    expect(err.details).toEqual({ path, locked: true })
    expect((err.cause as { cause?: { code?: string } }).cause?.code).toBe('LEVEL_LOCKED')
  })

  it('opens the folder again once the holder closed it', async () => {
    const path = await folder()
    const first = await openLevel(path)
    await first.close()
    const second = await openLevel(path)
    cleanups.push(() => second.close())
    expect(second.status).toBe('open')
  })

  it('reports other failures as storage errors that are not a lock', async () => {
    const path = await folder()
    const err = await openLevel(path, { createIfMissing: false }).catch((e: unknown) => e)
    expect(isSteleError(err, 'STELE_STORAGE')).toBe(true)
    if (!isSteleError(err)) return
    expect(err.message).toMatch(/^cannot open the LevelDB at /)
    expect(err.details).toEqual({ path, locked: false })
  })
})
