import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build, type Plugin } from 'esbuild'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)

/**
 * core/ uses node:crypto for SHA-256 and Ed25519; the browser gets the same modules backed by @noble. Any other node:
 * import reaching the bundle is a layering mistake (DESIGN §2: web/ imports only core/), so it fails the build.
 */
const browserCore: Plugin = {
  name: 'stele-browser-core',
  setup(b) {
    const shimmed = new Map(
      ['hash', 'ed25519'].map((n) => [join(root, 'core', `${n}.ts`), join(here, 'shims', `${n}.ts`)]),
    )
    b.onResolve({ filter: /(hash|ed25519)\.ts$/ }, (args) => {
      const shim = shimmed.get(resolve(args.resolveDir, args.path))
      return shim ? { path: shim } : undefined
    })
    // core/key-crypto.ts takes scryptSync from node:crypto; the browser gets @noble's scrypt under that name.
    b.onResolve({ filter: /^node:crypto$/ }, (args) =>
      args.importer === join(root, 'core', 'key-crypto.ts')
        ? { path: join(here, 'shims', 'node-crypto.ts') }
        : undefined,
    )
    b.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [
        { text: `${args.path} imported by ${relative(root, args.importer)}: not available in the browser` },
      ],
    }))
  },
}

export interface AssetSize {
  file: string
  raw: number
  gzip: number
  /** Loaded with the page (the entry script and the stylesheet); chunks load when a page first needs them. */
  initial: boolean
}

export interface WebBuild {
  outdir: string
  assets: AssetSize[]
  /** All scripts, and those loaded with the page (`initial`). */
  js: { raw: number; gzip: number }
  initialJs: { raw: number; gzip: number }
  css: { raw: number; gzip: number }
}

/** Bundles web/src into `outdir` (web/dist by default): index.html plus content-hashed assets under assets/. */
export async function buildWeb(opts: { outdir?: string } = {}): Promise<WebBuild> {
  const final = opts.outdir ?? join(here, 'dist')
  // Built beside the target and swapped in at the end, so a node starting meanwhile (tests build while other tests'
  // nodes load web/dist) finds the old build or the new one, never a half-written folder.
  const outdir = `${final}.build-${process.pid}-${Date.now()}`
  await mkdir(outdir, { recursive: true })
  const result = await build({
    entryPoints: [join(here, 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: true,
    legalComments: 'none',
    outdir,
    // Pages that need heavy code (the wallet's scrypt, storage's dag-pb) load it when first opened.
    splitting: true,
    chunkNames: 'assets/chunk-[hash]',
    entryNames: 'assets/[name]-[hash]',
    assetNames: 'assets/[name]-[hash]',
    inject: [join(here, 'shims', 'buffer.ts')],
    plugins: [browserCore],
    metafile: true,
    logLevel: 'silent',
  })
  const assets: AssetSize[] = []
  let js = ''
  let css = ''
  const outputs = result.metafile.outputs
  // The entry and what it imports statically load with the page; dynamic imports are later chunks.
  const initialSet = new Set<string>()
  const visit = (out: string) => {
    if (initialSet.has(out)) return
    initialSet.add(out)
    for (const i of outputs[out]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path)
  }
  // Dynamic-import chunks carry an entryPoint too: the page's entry is the one built from main.ts.
  const isMain = (m: { entryPoint?: string }) => m.entryPoint?.endsWith('src/main.ts') === true
  for (const [out, meta] of Object.entries(outputs)) if (isMain(meta)) visit(out)
  for (const [out, meta] of Object.entries(outputs)) {
    const file = relative(outdir, join(root, out)).split('\\').join('/')
    const bytes = await readFile(join(outdir, file))
    const initial = initialSet.has(out) || file.endsWith('.css')
    assets.push({ file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, initial })
    if (file.endsWith('.js') && isMain(meta)) js = file
    if (file.endsWith('.css')) css = file
  }
  const template = await readFile(join(here, 'index.html'), 'utf8')
  // The chunks the entry imports statically are fetched alongside it rather than after it is parsed.
  const preload = assets
    .filter((a) => a.initial && a.file.endsWith('.js') && a.file !== js)
    .map((a) => `<link rel="modulepreload" href="/${a.file}">\n`)
    .join('')
  await writeFile(
    join(outdir, 'index.html'),
    template.replace('%CSS%', `/${css}`).replace('%JS%', `/${js}`).replace('</head>', `${preload}</head>`),
  )
  await swapIn(outdir, final)
  const sum = (ext: string, initialOnly = false) =>
    assets
      .filter((a) => a.file.endsWith(ext) && (!initialOnly || a.initial))
      .reduce((t, a) => ({ raw: t.raw + a.raw, gzip: t.gzip + a.gzip }), { raw: 0, gzip: 0 })
  return { outdir: final, assets, js: sum('.js'), initialJs: sum('.js', true), css: sum('.css') }
}

/** Replaces `final` with `built`: the old build is moved aside first (a concurrent build may win the race; retried). */
async function swapIn(built: string, final: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const old = `${final}.old-${process.pid}-${Date.now()}-${attempt}`
    await rename(final, old).catch(() => undefined)
    try {
      await rename(built, final)
      await rm(old, { recursive: true, force: true })
      return
    } catch (e) {
      await rm(old, { recursive: true, force: true })
      if (attempt >= 5) throw e
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await buildWeb()
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`
  for (const a of r.assets)
    console.log(`web: ${a.file} ${kb(a.raw)} (${kb(a.gzip)} gzipped)${a.initial ? '' : ', loaded on demand'}`)
  console.log(
    `web: with the page JS ${kb(r.initialJs.raw)} (${kb(r.initialJs.gzip)} gzipped) of ${kb(r.js.raw)} (${kb(r.js.gzip)}), CSS ${kb(r.css.raw)} (${kb(r.css.gzip)})`,
  )
}
