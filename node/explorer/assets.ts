import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { extname, join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'

const TYPES: { [ext: string]: string } = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
}

export interface Asset {
  type: string
  body: Buffer
  /** Present when gzip saves at least a tenth. */
  gzip: Buffer | undefined
  etag: string
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await walk(p)))
    else out.push(p)
  }
  return out
}

/**
 * The built front end (web/dist), read once into memory with its gzip form: a few hundred KiB at most, so every
 * request is a map lookup. Keys are URL paths ('/index.html', '/assets/main-HASH.js'). Empty when not built.
 */
export async function loadAssets(dist: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>()
  let files: string[]
  try {
    files = await walk(dist)
  } catch {
    return assets
  }
  for (const file of files) {
    const type = TYPES[extname(file)]
    if (!type) continue
    const body = await readFile(file)
    const gz = gzipSync(body, { level: 9 })
    assets.set(`/${relative(dist, file).split('\\').join('/')}`, {
      type,
      body,
      gzip: gz.length < body.length * 0.9 ? gz : undefined,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    })
  }
  return assets
}
