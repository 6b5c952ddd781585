import { execFile } from 'node:child_process'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../cli/log.ts'

const BIN = fileURLToPath(new URL('../../bin/stele.js', import.meta.url))

/** A stdout stand-in that records what is written; `isTTY` as a terminal or a pipe would report it. */
function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  let text = ''
  const w = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk)
      cb()
    },
  })
  return Object.assign(w, { isTTY, text: () => text })
}

/** Three events a real run logs: context, an error object, and a message with a line break. */
function logEvents(log: ReturnType<typeof createLogger>): void {
  log.info({ url: 'http://127.0.0.1:8080', genesis: 'data/node/genesis.json' }, 'node listening')
  log.error({ err: new Error('boom'), batch: 4 }, 'outbox write failed; retrying')
  log.warn('first\nsecond')
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are control characters
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')

describe('CLI logger', () => {
  it('prints one line per event on a terminal: time, level, message, then the context', () => {
    const out = sink(true)
    logEvents(createLogger({ stream: out }))
    const lines = plain(out.text()).trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: node listening \{"url":"http:\/\/127\.0\.0\.1:8080","genesis":"data\/node\/genesis\.json"\}$/,
    )
    expect(lines[1]).toMatch(/^\[[\d:.]+\] ERROR: outbox write failed; retrying \{"err":\{.*"message":"boom"/)
    expect(lines[1]).toContain('"batch":4')
    expect(lines[2]).toMatch(/^\[[\d:.]+\] WARN: first\\nsecond$/)
  })

  it('writes JSON lines when the output is not a terminal, or with --json on one', () => {
    for (const [out, json] of [
      [sink(false), false],
      [sink(true), true],
    ] as const) {
      logEvents(createLogger({ stream: out, json }))
      const events = out
        .text()
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(events.map((e) => [e.level, e.msg])).toEqual([
        [30, 'node listening'],
        [50, 'outbox write failed; retrying'],
        [40, 'first\nsecond'],
      ])
      expect(events[0]).toMatchObject({ url: 'http://127.0.0.1:8080', time: expect.any(Number) })
      expect(events[1].err).toMatchObject({ type: 'Error', message: 'boom' })
    }
  })

  it('takes --json before the command or after it', async () => {
    const run = promisify(execFile)
    for (const args of [
      ['--json', 'keys', '--help'],
      ['keys', '--json', '--help'],
    ]) {
      const { stdout } = await run(process.execPath, [BIN, ...args])
      expect(stdout).toContain('--json')
    }
  })
})
