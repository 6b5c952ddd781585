import { readFile } from 'node:fs/promises'
import { rootCertificates } from 'node:tls'
import WebSocket from 'ws'
import { SteleError } from '../../core/errors.ts'
import { NodeList } from '../../core/node-list.ts'
import { fetchWithCa } from '../../gateway/fetch-with-ca.ts'
import { SseParser } from '../../node/stream/sse-parser.ts'
import { listOption, parse, strOption } from '../args.ts'
import { watchSpec } from './watch-spec.ts'

/** A stream event as it arrives (docs/streaming.md). */
export interface StreamEvent {
  type: string
  cursor: string
  [k: string]: unknown
}

export interface WatchOptions {
  /** The node's HTTP address. */
  node: string
  filter: { device?: string; sensor?: string; gateway?: string; channels?: string }
  cursor?: string
  transport: 'sse' | 'ws'
  json: boolean
  /** Reading lines (stdout). */
  out: (line: string) => void
  /** Connection notes (stderr). */
  note: (line: string) => void
  signal: AbortSignal
  /** Reconnect delays: the first, doubling up to the last (default 250 ms to 10 s). */
  retryMs?: { min: number; max: number }
  /** A PEM certificate authority to trust for an https:// node, beside the system's (--ca). */
  ca?: string | Uint8Array
  /** Other nodes to switch to when `node` fails (refreshed from the chain); without it, `node` only. */
  nodes?: NodeList
}

/**
 * How many batches back a cursor is rewound on another node. Cursors number batches in each node's acceptance
 * order; every node accepts every batch, in the same order per gateway and nearly the same across gateways, so the
 * same number on another node is at most a few batches off. The rewound part is replayed and its readings already
 * printed are skipped by (gateway, record seq), blocks by height.
 */
export const SWITCH_REWIND = 256

/** The cursor to resume from on another node: `cursor` rewound (docs/streaming.md §Across nodes). */
export function portableCursor(cursor: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(cursor)
  if (!m) return cursor
  return `${Math.max(0, Number(m[1]) - SWITCH_REWIND)}.0.${Math.max(0, Number(m[3]) - 1)}`
}

/**
 * Follows the stream until `signal` aborts, reconnecting after any drop with the cursor of the last event it
 * printed, so nothing is missed or printed twice. A refused subscription (bad filter or cursor) ends it.
 */
export async function runWatch(
  o: WatchOptions,
): Promise<{ cursor: string | undefined; connections: number }> {
  let cursor = o.cursor
  let connections = 0
  let delay = o.retryMs?.min ?? 250
  // What was printed, by a position every node shares: a gateway's record seq, a block's height.
  const lastSeq = new Map<string, number>()
  let lastHeight = -1
  let switched = false
  await o.nodes?.refresh(o.signal).catch(() => undefined)
  while (!o.signal.aborted) {
    connections++
    let lagged = false
    let delivered = false
    const onEvent = (ev: StreamEvent) => {
      cursor = ev.cursor
      delivered = true
      if (ev.type === 'lagged') lagged = true
      if (ev.type === 'reading') {
        const r = ev['reading'] as { gateway: string; seq: number }
        if (r.seq <= (lastSeq.get(r.gateway) ?? 0)) return
        lastSeq.set(r.gateway, r.seq)
      } else if (ev.type === 'block') {
        const h = (ev['block'] as { height: number }).height
        if (switched && h <= lastHeight) return
        lastHeight = Math.max(lastHeight, h)
      }
      const line = o.json ? JSON.stringify(ev) : format(ev)
      if (line === null) return
      if (o.json || ev.type === 'reading' || ev.type === 'confirmation' || ev.type === 'block') o.out(line)
      else o.note(line)
    }
    try {
      if (o.transport === 'sse') await followSse(o, cursor, onEvent)
      else await followWs(o, cursor, onEvent)
      if (!o.signal.aborted) o.note('# the node closed the stream')
    } catch (e) {
      // A rewound cursor another node refuses (it is behind) is retried there later, or on the next node.
      if (e instanceof SteleError && !(switched && e.code === 'STELE_BAD_CURSOR')) throw e
      if (!o.signal.aborted) o.note(`# connection failed: ${(e as Error).message}`)
    }
    if (o.signal.aborted) break
    if (o.nodes && !delivered) {
      await o.nodes.refresh(o.signal).catch(() => undefined)
      const next = o.nodes.fail()
      if (next !== o.node) {
        o.node = next
        switched = true
        if (cursor) cursor = portableCursor(cursor)
        o.note(`# switching to ${next}`)
      }
    }
    if (delivered) delay = o.retryMs?.min ?? 250
    const wait = lagged ? 0 : delay
    o.note(`# reconnecting${cursor ? ` from ${cursor}` : ''}${wait ? ` in ${wait} ms` : ''}`)
    await pause(wait, o.signal)
    delay = Math.min(delay * 2, o.retryMs?.max ?? 10_000)
  }
  return { cursor, connections }
}

function streamUrl(o: WatchOptions, path: string, cursor: string | undefined): URL {
  const url = new URL(path, o.node)
  for (const [k, v] of Object.entries(o.filter)) if (v) url.searchParams.set(k, v)
  if (cursor) url.searchParams.set('cursor', cursor)
  return url
}

async function refusal(status: number, body: string): Promise<never> {
  let message = body.slice(0, 300)
  let code: string = 'STELE_BAD_REQUEST'
  try {
    const e = JSON.parse(body).error
    message = e.message
    code = e.code
  } catch {}
  throw new SteleError(
    code as 'STELE_BAD_REQUEST',
    `the node refused the subscription (${status}): ${message}`,
  )
}

async function followSse(o: WatchOptions, cursor: string | undefined, onEvent: (e: StreamEvent) => void) {
  const res = await (o.ca ? fetchWithCa(o.ca) : fetch)(streamUrl(o, '/v1/stream/sse', cursor), {
    headers: { accept: 'text/event-stream' },
    signal: o.signal,
  })
  if (res.status >= 400 && res.status < 500) await refusal(res.status, await res.text())
  if (!res.ok || !res.body)
    throw new SteleError('STELE_UNAVAILABLE', `stream: the node answered HTTP ${res.status}; retrying`)
  const parser = new SseParser()
  const decoder = new TextDecoder()
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
      for (const m of parser.push(decoder.decode(chunk, { stream: true }))) onEvent(JSON.parse(m.data))
  } catch (e) {
    if (!o.signal.aborted) throw e
  }
}

function followWs(o: WatchOptions, cursor: string | undefined, onEvent: (e: StreamEvent) => void) {
  const url = streamUrl(o, '/v1/stream', cursor)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  if (![...url.searchParams.keys()].length) url.searchParams.set('channels', 'readings')
  return new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(
      url,
      o.ca ? { ca: [...rootCertificates, Buffer.from(o.ca).toString('utf8')] } : {},
    )
    const abort = () => ws.terminate()
    o.signal.addEventListener('abort', abort, { once: true })
    ws.on('message', (data) => {
      for (const ev of JSON.parse(data.toString()) as StreamEvent[]) onEvent(ev)
    })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (d) => {
        body += d
      })
      res.on('end', () => refusal(res.statusCode ?? 0, body).catch(reject))
    })
    ws.on('error', reject)
    ws.on('close', () => {
      o.signal.removeEventListener('abort', abort)
      resolve()
    })
  })
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

/** One line per event; null for events not worth a line (heartbeats). */
export function format(ev: StreamEvent): string | null {
  switch (ev.type) {
    case 'reading': {
      const r = ev['reading'] as { [k: string]: string | number | null }
      const unit = r['unit'] ? ` ${r['unit']}` : ''
      const id = String(r['id']).slice(0, 12)
      return `${r['timeIso']}  ${r['device']}/${r['sensor']} = ${r['value']}${unit}  ${r['status']}  ${id}  @${ev.cursor}`
    }
    case 'confirmation': {
      const batches = ev['batches'] as { records: number }[]
      const n = batches.reduce((s, b) => s + b.records, 0)
      return `-- block ${ev['height']} confirmed ${n} readings in ${batches.length} batches  @${ev.cursor}`
    }
    case 'block': {
      const b = ev['block'] as { height: number; hash: string; txCount: number }
      return `-- block ${b.height} ${b.hash.slice(0, 16)} with ${b.txCount} transactions  @${ev.cursor}`
    }
    case 'status':
      return `# ${ev['kind']} ${ev['id']}: ${ev['state'] ?? JSON.stringify(ev['errors'])}`
    case 'heartbeat':
    case 'hello':
      return null
    case 'live':
      return `# live from ${ev.cursor}`
    default:
      return `# ${ev.type}${ev['message'] ? `: ${ev['message']}` : ''}  @${ev.cursor}`
  }
}

export async function watchCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(watchSpec, argv)
  if (p === 'help') return -1
  const ac = new AbortController()
  const stop = () => ac.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    const filter: WatchOptions['filter'] = {}
    for (const k of ['device', 'sensor', 'gateway', 'channels'] as const) {
      const v = strOption(p, k)
      if (v) filter[k] = v
    }
    const cursor = strOption(p, 'cursor')
    const caFile = strOption(p, 'ca')
    const ca = caFile
      ? await readFile(caFile).catch((cause) => {
          throw new SteleError('STELE_CONFIG', `cannot read --ca ${caFile}: ${(cause as Error).message}`, {
            cause,
          })
        })
      : undefined
    const urls = listOption(p, 'node')
    const nodes = new NodeList({ bootstrap: urls.length > 0 ? urls : ['http://127.0.0.1:8080'] })
    await runWatch({
      node: nodes.current(),
      nodes,
      filter,
      ...(cursor ? { cursor } : {}),
      ...(ca ? { ca } : {}),
      transport: p.values['ws'] ? 'ws' : 'sse',
      json: p.values['json'] === true,
      out,
      note: (s) => process.stderr.write(`${s}\n`),
      signal: ac.signal,
    })
    return 0
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}
