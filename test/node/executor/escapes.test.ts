import { describe, expect, it } from 'vitest'
import { BLOCK_TIME, run1 } from './helpers.ts'

// Everything a contract might use to reach the host. The sandbox is QuickJS in WebAssembly: there is no host
// object to reach, and these tests hold that the global object shows only ECMAScript built-ins.
const ES_GLOBALS = new Set([
  'globalThis',
  'Object',
  'Function',
  'Array',
  'Number',
  'parseFloat',
  'parseInt',
  'Infinity',
  'NaN',
  'undefined',
  'Boolean',
  'String',
  'Symbol',
  'Date',
  'Promise',
  'RegExp',
  'Error',
  'AggregateError',
  'EvalError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'TypeError',
  'URIError',
  'InternalError',
  'JSON',
  'Math',
  'Intl',
  'ArrayBuffer',
  'Uint8Array',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'Uint8ClampedArray',
  'BigUint64Array',
  'BigInt64Array',
  'Float16Array',
  'DataView',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'Proxy',
  'Reflect',
  'BigInt',
  'decodeURI',
  'decodeURIComponent',
  'encodeURI',
  'encodeURIComponent',
  'escape',
  'unescape',
  'eval',
  'isFinite',
  'isNaN',
  'Iterator',
  'Generator',
  'GeneratorFunction',
  'AsyncFunction',
  'AsyncGeneratorFunction',
  'AsyncIterator',
  'AsyncGenerator',
  'DisposableStack',
  'AsyncDisposableStack',
  'SuppressedError',
])
const HOST = [
  'process',
  'require',
  'module',
  'fetch',
  'setTimeout',
  'setInterval',
  'queueMicrotask',
  'WebAssembly',
  'SharedArrayBuffer',
  'Atomics',
  'WeakRef',
  'FinalizationRegistry',
  'console',
  'Buffer',
  'global',
  'std',
  'os',
  'performance',
  'navigator',
  'Deno',
  'Bun',
]

describe('sandbox: no way to the host', () => {
  it('the global object holds only ECMAScript built-ins', async () => {
    const r = await run1('export function onReading() { return Object.getOwnPropertyNames(globalThis) }')
    expect(r.status).toBe('ok')
    const extra = (r.output as string[]).filter((n) => !ES_GLOBALS.has(n))
    expect(extra).toEqual([])
  })

  it('none of the host names exists, by typeof, in globalThis or through eval', async () => {
    const r = await run1(
      `export function onReading(names) {
        return names.map((n) => [n, typeof globalThis[n], eval('typeof ' + n), n in globalThis])
      }`,
      HOST,
    )
    expect(r.status).toBe('ok')
    for (const [name, t1, t2, has] of r.output as [string, string, string, boolean][])
      expect([name, t1, t2, has]).toEqual([name, 'undefined', 'undefined', false])
  })

  it('constructor chains on passed values reach only the sandbox global', async () => {
    const r = await run1(
      `export function onReading(input, ctx) {
        const g1 = input.constructor.constructor('return this')()
        const g2 = ctx.emit.constructor('return this')()
        const g3 = input.list.constructor.constructor('return globalThis')()
        const g4 = Object.getPrototypeOf(input).constructor.constructor('return this')()
        const g5 = (() => {}).constructor('return (function () { return this })()')()
        const g6 = ctx.state.get.call.constructor('return this')()
        return [g1, g2, g3, g4, g5, g6].map((g) => g === globalThis && typeof g.process === 'undefined'
          && typeof g.require === 'undefined')
      }`,
      { value: 1, list: [1, 2] },
    )
    expect(r.status).toBe('ok')
    expect(r.output).toEqual([true, true, true, true, true, true])
  })

  it('eval and Function of strings trying the escapes find nothing', async () => {
    const r = await run1(
      `export function onReading() {
        const tries = [
          "typeof process", "typeof require", "typeof fetch", "typeof setTimeout", "typeof WebAssembly",
          "typeof SharedArrayBuffer", "typeof Atomics", "globalThis.constructor.constructor('return typeof process')()",
          "(0, eval)('typeof require')", "Function('return typeof globalThis.process')()",
        ]
        return tries.map((s) => eval(s)).concat([new Function('return typeof process')()])
      }`,
    )
    expect(r.message).toBeUndefined()
    expect(new Set(r.output as string[])).toEqual(new Set(['undefined']))
  })

  it('import() of anything never loads: static imports are refused, dynamic ones never settle', async () => {
    const stat = await run1('import fs from "fs"\nexport function onReading() { return 1 }')
    expect(stat.status).toBe('error')
    expect(stat.message).toMatch(/could not load module/)
    const dyn = await run1(
      `export function onReading() { let done = 'pending'; import('fs').then(() => { done = 'loaded' }, () => {}); return done }`,
    )
    expect(dyn).toMatchObject({ status: 'ok', output: 'pending' })
  })

  it('prototype pollution of passed values stays inside the run', async () => {
    const code = `export function onReading(input, ctx) {
      Object.prototype.polluted = 'yes'
      input.__proto__.x = 1
      ctx.state.set('k', { a: 1 })
      return ({}).polluted
    }`
    const r1 = await run1(code, { a: 1 })
    expect(r1).toMatchObject({ status: 'ok', output: 'yes', stateAfter: { k: { a: 1 } } })
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    const r2 = await run1('export function onReading() { return ({}).polluted ?? null }')
    expect(r2.output).toBeNull()
  })

  it('ctx is frozen and replacing built-ins does not corrupt what crosses to the host', async () => {
    const r = await run1(
      `export function onReading(_, ctx) {
        'use strict'
        let frozen = false
        try { ctx.state = null } catch { frozen = true }
        JSON.stringify = () => 'garbage'
        Object.keys = () => []
        ctx.state.set('a', [1, 2])
        ctx.emit('e', { ok: true })
        return frozen
      }`,
    )
    expect(r).toMatchObject({
      status: 'ok',
      output: true,
      stateAfter: { a: [1, 2] },
      events: [{ name: 'e', data: { ok: true } }],
    })
  })

  it('Date, installed on first use, is the block-time shim whatever the contract changed before', async () => {
    const r = await run1(
      `export function onReading() {
        const before = typeof Object.getOwnPropertyDescriptor(globalThis, 'Date').get
        Object.defineProperty(Function.prototype, 'now', { get() { return () => 1 }, set() {}, configurable: true })
        Array.prototype[Symbol.iterator] = function* () {}
        const D = Date
        return [before, D === Date, Date.now(), new Date().getHours(), new Date(2026, 0, 1).getTime(),
          Object.getPrototypeOf(new Date()).constructor === Date, typeof Object.getOwnPropertyDescriptor(globalThis, 'Date').value]
      }`,
    )
    expect(r.message).toBeUndefined()
    expect(r.output).toEqual([
      'function',
      true,
      BLOCK_TIME,
      new Date(BLOCK_TIME).getUTCHours(),
      Date.UTC(2026, 0, 1),
      true,
      'function',
    ])
  })

  it('values cross as copies: a state value read and mutated is not the state', async () => {
    const r = await run1(
      `export function onReading(_, ctx) {
        ctx.state.set('o', { n: 1 })
        const o = ctx.state.get('o'); o.n = 2
        return ctx.state.get('o').n
      }`,
    )
    expect(r).toMatchObject({ status: 'ok', output: 1, stateAfter: { o: { n: 1 } } })
  })
})
