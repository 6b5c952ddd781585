import { readdir, readFile, realpath, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { SerialPort } from 'serialport'
import { SteleError } from '../../../core/errors.ts'
import { type Logger, silentLogger } from '../../../core/logger.ts'

/**
 * Finding boards: by USB vendor/product id or serial number, and by path patterns for devices without USB
 * identity (ptys, UART pins). `SerialPort.list()` shells out to udevadm, which containers and minimal images
 * lack (`spawn udevadm ENOENT`), so on any failure the list is rebuilt from /dev/serial/by-id and
 * /sys/class/tty, and the fallback is logged once. Discovery never throws: no ports is an empty list.
 */
export interface SerialPortInfo {
  path: string
  vendorId?: string
  productId?: string
  serialNumber?: string
  manufacturer?: string
  /** /dev/serial/by-id link, stable across re-enumeration, when there is one. */
  byId?: string
}

export interface SerialMatch {
  vendorId?: string
  productId?: string
  serialNumber?: string
  /** Path patterns; `*` and `?` are allowed in the last segment only (`/dev/ttyACM*`, `/tmp/stele/line-1*`). */
  paths?: string[]
}

export interface DiscoveryOptions {
  log?: Logger
  /** SerialPort.list() spawns udevadm; give up on it after this long (ms) and use the fallback. */
  listTimeoutMs?: number
  /** Replaces SerialPort.list() (tests; platforms with their own enumerator). */
  list?: () => Promise<SerialPortInfo[]>
  /** Roots of the fallback, so tests can point them at a fake tree. */
  devRoot?: string
  sysRoot?: string
}

const hex4 = (s: string | undefined): string | undefined =>
  s ? s.trim().toLowerCase().padStart(4, '0') : undefined

const defaultList = async (): Promise<SerialPortInfo[]> =>
  (await SerialPort.list()).map((p) =>
    clean({
      path: p.path,
      vendorId: p.vendorId,
      productId: p.productId,
      serialNumber: p.serialNumber,
      manufacturer: p.manufacturer,
    }),
  )

function clean(p: { [k: string]: string | undefined; path: string }): SerialPortInfo {
  const out: SerialPortInfo = { path: p.path }
  if (p.vendorId) out.vendorId = hex4(p.vendorId)!
  if (p.productId) out.productId = hex4(p.productId)!
  if (p.serialNumber) out.serialNumber = p.serialNumber
  if (p.manufacturer) out.manufacturer = p.manufacturer
  if (p.byId) out.byId = p.byId
  return out
}

async function readTrim(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() || undefined
  } catch {
    return undefined
  }
}

/** USB attributes of a tty: walk up from its sysfs device to the USB device folder that has idVendor. */
async function usbAttributes(deviceDir: string): Promise<Partial<SerialPortInfo> | null> {
  let dir: string
  try {
    dir = await realpath(deviceDir)
  } catch {
    return null
  }
  for (let i = 0; i < 5 && dir !== '/' && dir !== '.'; i++, dir = dirname(dir)) {
    const vendorId = await readTrim(join(dir, 'idVendor'))
    if (!vendorId) continue
    const attrs: Partial<SerialPortInfo> = { vendorId }
    const productId = await readTrim(join(dir, 'idProduct'))
    const serialNumber = await readTrim(join(dir, 'serial'))
    const manufacturer = await readTrim(join(dir, 'manufacturer'))
    if (productId) attrs.productId = productId
    if (serialNumber) attrs.serialNumber = serialNumber
    if (manufacturer) attrs.manufacturer = manufacturer
    return attrs
  }
  return {}
}

const SERIAL_NAME = /^(ttyACM|ttyUSB|ttyAMA|ttyS|ttyTHS|rfcomm)\d+$/

/** The fallback: /sys/class/tty for every tty with a device behind it, /dev/serial/by-id for stable names. */
export async function listFromFilesystem(devRoot = '/dev', sysRoot = '/sys'): Promise<SerialPortInfo[]> {
  const ports = new Map<string, SerialPortInfo>()
  const ttyDir = join(sysRoot, 'class/tty')
  for (const name of await readdir(ttyDir).catch(() => [] as string[])) {
    const attrs = await usbAttributes(join(ttyDir, name, 'device'))
    // Virtual consoles have no device; legacy ttyS ports without hardware behind them are noise.
    if (attrs === null || (!attrs.vendorId && !SERIAL_NAME.test(name))) continue
    if (!attrs.vendorId && name.startsWith('ttyS')) continue
    ports.set(name, clean({ path: join(devRoot, name), ...attrs }))
  }
  const byIdDir = join(devRoot, 'serial/by-id')
  for (const link of await readdir(byIdDir).catch(() => [] as string[])) {
    const full = join(byIdDir, link)
    const target = await realpath(full).catch(() => null)
    if (!target) continue
    const name = basename(target)
    const port = ports.get(name) ?? { path: join(devRoot, name) }
    port.byId = full
    // usb-Arduino__www.arduino.cc__0043_85735313233351F0C1D1-if00: the serial number is the last field.
    const m = /^usb-.*_([^_]+)-if\d+(?:-port\d+)?$/.exec(link)
    if (!port.serialNumber && m?.[1]) port.serialNumber = m[1]
    ports.set(name, port)
  }
  return [...ports.values()]
}

let fallbackLogged = false

/** Rejects after `ms`: a hung enumerator must not stall a reconnect loop. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new SteleError('STELE_UNAVAILABLE', `${what} timed out after ${ms} ms`)),
      ms,
    )
    t.unref?.()
    p.then(
      (v) => {
        clearTimeout(t)
        resolve(v)
      },
      (e: unknown) => {
        clearTimeout(t)
        reject(e)
      },
    )
  })
}

/** Every serial port this machine has, from serialport when it can, from the filesystem when it cannot. */
export async function listSerialPorts(opts: DiscoveryOptions = {}): Promise<SerialPortInfo[]> {
  const log = opts.log ?? silentLogger
  try {
    return await withTimeout((opts.list ?? defaultList)(), opts.listTimeoutMs ?? 3000, 'SerialPort.list()')
  } catch (err) {
    if (!fallbackLogged || opts.list) {
      fallbackLogged = true
      log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'SerialPort.list() failed; discovering serial ports from /dev/serial/by-id and /sys/class/tty instead',
      )
    }
    try {
      return await listFromFilesystem(opts.devRoot, opts.sysRoot)
    } catch (err2) {
      log.warn({ err: String(err2) }, 'serial port discovery found nothing')
      return []
    }
  }
}

export function matchesUsb(p: SerialPortInfo, m: SerialMatch): boolean {
  if (m.vendorId === undefined && m.productId === undefined && m.serialNumber === undefined) return false
  if (m.vendorId !== undefined && hex4(m.vendorId) !== p.vendorId) return false
  if (m.productId !== undefined && hex4(m.productId) !== p.productId) return false
  if (m.serialNumber !== undefined && m.serialNumber !== p.serialNumber) return false
  return true
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${body}$`)
}

/** Existing paths matching the patterns, sorted so that the choice among several is deterministic. */
export async function expandPaths(patterns: string[]): Promise<string[]> {
  const out: string[] = []
  for (const pattern of patterns) {
    const name = basename(pattern)
    if (!/[*?]/.test(name)) {
      if (
        await stat(pattern).then(
          () => true,
          () => false,
        )
      )
        out.push(pattern)
      continue
    }
    const dir = dirname(pattern)
    const re = globToRegExp(name)
    const names = await readdir(dir).catch(() => [] as string[])
    for (const n of names.sort()) if (re.test(n)) out.push(join(dir, n))
  }
  return out
}

/** Candidate paths for a match: USB matches first (by-id link preferred), then path patterns. */
export async function findCandidates(m: SerialMatch, opts: DiscoveryOptions = {}): Promise<string[]> {
  const out: string[] = []
  if (m.vendorId !== undefined || m.productId !== undefined || m.serialNumber !== undefined) {
    for (const p of await listSerialPorts(opts)) if (matchesUsb(p, m)) out.push(p.byId ?? p.path)
  }
  if (m.paths?.length) out.push(...(await expandPaths(m.paths)))
  return [...new Set(out)]
}
