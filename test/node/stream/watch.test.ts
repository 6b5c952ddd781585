import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { format, runWatch, watchCommand } from '../../../cli/commands/watch.ts'
import { until } from '../../helpers/wait.ts'
import { type StreamFixture, streamFixture } from './fixture.ts'

let fx: StreamFixture

beforeAll(async () => {
  fx = await streamFixture()
})
afterAll(async () => {
  await fx?.close()
})

/** Runs `stele watch` in-process; the node cuts every stream once mid-way, and it must pick up where it was. */
async function watchAcrossADrop(transport: 'sse' | 'ws') {
  const lines: string[] = []
  const notes: string[] = []
  const ac = new AbortController()
  const running = runWatch({
    node: fx.base,
    filter: { device: 'dev-w' },
    transport,
    json: false,
    out: (l) => lines.push(l),
    note: (l) => notes.push(l),
    signal: ac.signal,
    retryMs: { min: 5, max: 50 },
  })
  await until(() => notes.some((n) => n.startsWith('# live')), { what: 'watch to go live' })
  await fx.node.submitBatches([fx.gw.next(5, 'dev-w', 'temp'), fx.gw.next(3, 'other', 'temp')])
  await until(() => lines.length === 5, { what: 'five lines' })
  fx.hub.closeSubscribers('test: dropping every stream')
  // Accepted while the watcher is away: it must print these once it reconnects with its cursor.
  await fx.node.submitBatches([fx.gw.next(4, 'dev-w', 'hum')])
  await until(() => lines.length === 9, { what: 'nine lines after the reconnect' })
  ac.abort()
  const result = await running
  expect(result.connections).toBe(2)
  const seqs = lines.map((l) =>
    l
      .match(/@(\d+)\.(\d+)/)!
      .slice(1)
      .map(Number),
  )
  expect(lines.every((l) => l.includes('dev-w/'))).toBe(true)
  expect(lines.map((l) => l.split('  ')[1]!.split(' = ')[0])).toEqual([
    ...Array(5).fill('dev-w/temp'),
    ...Array(4).fill('dev-w/hum'),
  ])
  expect(new Set(seqs.map((s) => s.join('.'))).size).toBe(9)
  expect(notes.some((n) => n.startsWith('# closed: test: dropping'))).toBe(true)
}

describe('stele watch', () => {
  it('prints one line per reading over SSE and reconnects from its last cursor', () =>
    watchAcrossADrop('sse'))
  it('does the same over WebSocket', () => watchAcrossADrop('ws'))

  it('stops with the node refusal on a bad cursor, and formats readings, blocks and confirmations', async () => {
    await expect(
      watchCommand(['--node', fx.base, '--cursor', 'nope'], () => undefined),
    ).rejects.toMatchObject({
      code: 'STELE_BAD_CURSOR',
    })
    await expect(
      watchCommand(['--node', fx.base, '--ws', '--channels', 'gossip'], () => undefined),
    ).rejects.toMatchObject({ code: 'STELE_BAD_REQUEST' })
    expect(await watchCommand(['--help'], () => undefined)).toBe(-1)
    const reading = {
      type: 'reading',
      cursor: '7.3.2',
      reading: { id: 'ab'.repeat(32), device: 'd', sensor: 't', value: 21.5, unit: 'C', status: 'pending' },
    }
    expect(format({ ...reading, reading: { ...reading.reading, timeIso: '2024-01-01T00:00:00.000Z' } })).toBe(
      '2024-01-01T00:00:00.000Z  d/t = 21.5 C  pending  abababababab  @7.3.2',
    )
    expect(
      format({ type: 'confirmation', cursor: '7.3.3', height: 3, batches: [{ tx: 'x', records: 10 }] }),
    ).toBe('-- block 3 confirmed 10 readings in 1 batches  @7.3.3')
    expect(format({ type: 'heartbeat', cursor: '7.3.3' })).toBeNull()
  })
})
