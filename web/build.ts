import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
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
}

export interface WebBuild {
  outdir: string
  assets: AssetSize[]
  js: { raw: number; gzip: number }
  css: { raw: number; gzip: number }
}

/** Bundles web/src into `outdir` (web/dist by default): index.html plus content-hashed assets under assets/. */
export async function buildWeb(opts: { outdir?: string } = {}): Promise<WebBuild> {
  const outdir = opts.outdir ?? join(here, 'dist')
  await rm(outdir, { recursive: true, force: true })
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
  for (const out of Object.keys(result.metafile.outputs)) {
    const file = relative(outdir, join(root, out)).split('\\').join('/')
    const bytes = await readFile(join(outdir, file))
    assets.push({ file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length })
    if (file.endsWith('.js')) js = file
    if (file.endsWith('.css')) css = file
  }
  const template = await readFile(join(here, 'index.html'), 'utf8')
  await writeFile(join(outdir, 'index.html'), template.replace('%CSS%', `/${css}`).replace('%JS%', `/${js}`))
  const sum = (ext: string) =>
    assets
      .filter((a) => a.file.endsWith(ext))
      .reduce((t, a) => ({ raw: t.raw + a.raw, gzip: t.gzip + a.gzip }), { raw: 0, gzip: 0 })
  return { outdir, assets, js: sum('.js'), css: sum('.css') }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await buildWeb()
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`
  for (const a of r.assets) console.log(`web: ${a.file} ${kb(a.raw)} (${kb(a.gzip)} gzipped)`)
}
