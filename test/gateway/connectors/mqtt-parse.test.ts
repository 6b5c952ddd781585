import { describe, expect, it } from 'vitest'
import { isSteleError } from '../../../core/errors.ts'
import { parsePayload } from '../../../gateway/connectors/mqtt/mqtt-payload.ts'
import { parseTopicPattern } from '../../../gateway/connectors/mqtt/mqtt-topic.ts'

const p = (s: string, sensor: string | null = 'temp') =>
  parsePayload(Buffer.from(s), 'dev-1', sensor ?? undefined)

describe('topic patterns', () => {
  it('subscribes with + for placeholders and reads device and sensor back', () => {
    const t = parseTopicPattern('stele/{device}/{sensor}')
    expect(t.subscription).toBe('stele/+/+')
    expect(t.match('stele/sim-mqtt-01/temp')).toEqual({ device: 'sim-mqtt-01', sensor: 'temp' })
    expect(t.match('stele/sim-mqtt-01')).toBeUndefined()
    expect(t.match('other/a/b')).toBeUndefined()
  })

  it('allows other layouts and a pattern without sensor', () => {
    const t = parseTopicPattern('site/+/{sensor}/by/{device}')
    expect(t.subscription).toBe('site/+/+/by/+')
    expect(t.match('site/x/hum/by/d9')).toEqual({ device: 'd9', sensor: 'hum' })
    expect(parseTopicPattern('devices/{device}').match('devices/a')).toEqual({
      device: 'a',
      sensor: undefined,
    })
  })

  it('reads each topic once and answers the same for it after, past its bound and for long topics too', () => {
    const t = parseTopicPattern('stele/{device}/{sensor}')
    const first = t.match('stele/d1/temp')
    expect(t.match('stele/d1/temp')).toBe(first) // the same strings go downstream, message after message
    expect(t.match('stele/d1')).toBeUndefined()
    expect(t.match('stele/d1')).toBeUndefined() // a refusal is kept too
    for (let i = 0; i < 20_000; i++) expect(t.match(`stele/d${i}/s`)?.device).toBe(`d${i}`)
    expect(t.match('stele/d1/temp')).toEqual({ device: 'd1', sensor: 'temp' })
    const long = 'x'.repeat(300)
    expect(t.match(`stele/${long}/temp`)).toEqual({ device: long, sensor: 'temp' })
  })

  it('refuses patterns without exactly one {device}, or with #', () => {
    for (const bad of ['stele/{sensor}', 'a/{device}/{device}', 'a/{device}/#', 'a/x{device}'])
      expect(
        isSteleError(
          (() => {
            try {
              parseTopicPattern(bad)
            } catch (e) {
              return e
            }
          })(),
          'STELE_CONFIG',
        ),
      ).toBe(true)
  })
})

describe('payloads', () => {
  it('takes a plain number', () => {
    expect(p(' 21.5\n')).toEqual({
      ok: true,
      readings: [{ device: 'dev-1', sensor: 'temp', value: 21.5, source: 'mqtt' }],
    })
    expect(p('-3e2')).toMatchObject({ ok: true, readings: [{ value: -300 }] })
  })

  it('takes an object with unit, seq and ts (epoch ms or ISO)', () => {
    expect(p('{"value":21.5,"unit":"C","seq":7,"ts":1700000000000}')).toMatchObject({
      ok: true,
      readings: [{ value: 21.5, unit: 'C', deviceSeq: 7, deviceTime: 1_700_000_000_000 }],
    })
    expect(p('{"value":1,"ts":"2023-11-14T22:13:20.000Z"}')).toMatchObject({
      ok: true,
      readings: [{ deviceTime: 1_700_000_000_000 }],
    })
  })

  it('takes arrays and {readings:[...]} with per-reading sensors', () => {
    const arr = p('[{"value":1,"seq":1},{"value":2,"seq":2},3]')
    expect(arr.ok && arr.readings.map((r) => [r.sensor, r.value, r.deviceSeq])).toEqual([
      ['temp', 1, 1],
      ['temp', 2, 2],
      ['temp', 3, undefined],
    ])
    const multi = p(
      '{"readings":[{"sensor":"hum","value":40},{"sensor":"light","value":300,"unit":"lx"}]}',
      null,
    )
    expect(multi.ok && multi.readings.map((r) => [r.sensor, r.value])).toEqual([
      ['hum', 40],
      ['light', 300],
    ])
  })

  it('refuses malformed payloads whole, with a reason naming the entry', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['hello', /neither a number nor JSON/],
      ['{"value":"hot"}', /"value" must be a number/],
      ['[{"value":1},{"value":null}]', /reading 1: "value"/],
      ['{"value":1,"seq":-1}', /"seq": must be a non-negative integer/],
      ['{"value":1,"seq":1.5}', /seq/],
      ['{"value":1,"ts":"yesterday"}', /"ts"/],
      ['{"value":1,"ts":"2023-11-14T22:13:20"}', /"ts": .* with a zone/], // local time: core's one time rule
      ['{"value":1,"ts":1700000000000.5}', /"ts"/],
      ['{"value":1,"unit":"a very long unit name"}', /unit/],
      ['{"readings":{}}', /must be an array/],
      ['[]', /no readings/],
      ['null', /must be a number, an object or an array/],
      ['1e999', /finite/],
    ]
    for (const [payload, reason] of cases) {
      const r = p(payload)
      expect(r.ok, payload).toBe(false)
      if (!r.ok) expect(r.reason, payload).toMatch(reason)
    }
    expect(p('{"value":1}', null)).toMatchObject({ ok: false, reason: expect.stringMatching(/no sensor/) })
    expect(parsePayload(Buffer.from('1'), 'bad device', 't')).toMatchObject({ ok: false })
  })
})
