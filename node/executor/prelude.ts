/**
 * The script a sandbox evaluates before any contract code (docs/contracts.md §4). It makes the sandbox
 * deterministic and evaluates to the function the host calls, once the contract's module is loaded, with the
 * run's configuration (one JSON string) and the module namespace; that function returns the run's outcome as one
 * JSON string. Nothing is put on the global object: the contract reaches the state, the event list and the
 * seeded generator only through the `ctx` it is handed. The module's top level runs before the configuration
 * (so one loaded module can serve every run of a contract, see module-snapshots.ts): there `Date.now()`,
 * `new Date()` and `Math.random()` throw, since the block's time and seed are not known yet.
 *
 * What it changes in the sandbox, so a run depends on its inputs alone:
 * - deletes the globals that are not deterministic or not needed (WeakRef, FinalizationRegistry, Atomics,
 *   SharedArrayBuffer, and the host-ish names if an engine ever had them);
 * - Math.random is xoshiro128** seeded from the run's seed (set by each run); ctx.random is the same generator;
 * - Date: `Date.now()` and `new Date()` are the block time; local time is UTC (the engine would otherwise ask
 *   the host's time zone); Date.parse takes ISO 8601 only, zone-less times as UTC.
 *
 * Built-ins are captured before the contract runs, so a contract that replaces JSON.stringify or Object.keys
 * only changes what it sees itself; the host checks every byte that comes out anyway. A contract can still
 * tamper with its own run (e.g. by Object.prototype.toJSON): that stays deterministic and hurts no one else.
 */
/**
 * The Date shim (see the prelude): the engine's Date with `Date.now()` and `new Date()` at the block time (`time()`), local
 * time as UTC, and Date.parse on ISO 8601 only. Evaluated as a function of what it needs.
 */
const DATE_SHIM = String.raw`(function (OD, time, apply, construct, keysOf, defineProperty, StringCtor) {
  'use strict';
  const proto = OD.prototype;
  const odParse = OD.parse, odUTC = OD.UTC, odToISO = proto.toISOString, odGetTime = proto.getTime;
  const utcString = proto.toUTCString;
  const ISO = /^([+-]\d{6}|\d{4})(-\d{2}(-\d{2})?)?(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
  const method = (value) => ({ value, writable: true, configurable: true });
  function parseIso(s) {
    s = StringCtor(s);
    const m = ISO.exec(s);
    if (m === null) return NaN;
    return odParse(m[4] !== undefined && m[7] === undefined ? s + 'Z' : s);
  }
  function SteleDate(...args) {
    if (new.target === undefined) return apply(utcString, construct(OD, [time()]), []);
    let v;
    if (args.length === 0) v = [time()];
    else if (args.length === 1) v = [typeof args[0] === 'string' ? parseIso(args[0]) : args[0]];
    else v = [apply(odUTC, undefined, args)];
    return construct(OD, v, new.target);
  }
  defineProperty(SteleDate, 'prototype', { value: proto });
  defineProperty(SteleDate, 'now', method(function now() { return time(); }));
  defineProperty(SteleDate, 'parse', method(function parse(s) { return parseIso(s); }));
  defineProperty(SteleDate, 'UTC', method(odUTC));
  defineProperty(proto, 'constructor', method(SteleDate));
  function localString() {
    return apply(odGetTime, this, []) === apply(odGetTime, this, []) ? apply(odToISO, this, []) : 'Invalid Date';
  }
  const local = keysOf({ FullYear: 1, Month: 1, Date: 1, Hours: 1, Minutes: 1, Seconds: 1, Milliseconds: 1 });
  for (let i = 0; i < local.length; i++) {
    defineProperty(proto, 'get' + local[i], method(proto['getUTC' + local[i]]));
    defineProperty(proto, 'set' + local[i], method(proto['setUTC' + local[i]]));
  }
  defineProperty(proto, 'getDay', method(proto.getUTCDay));
  defineProperty(proto, 'getTimezoneOffset', method(function getTimezoneOffset() {
    const t = apply(odGetTime, this, []);
    return t === t ? 0 : NaN;
  }));
  const strings = ['toString', 'toDateString', 'toTimeString', 'toLocaleString', 'toLocaleDateString', 'toLocaleTimeString'];
  for (let i = 0; i < strings.length; i++) defineProperty(proto, strings[i], method(localString));
  delete proto.getYear;
  delete proto.setYear;
  return SteleDate;
})`

export const PRELUDE = String.raw`(function () {
  'use strict';
  const DATE_SHIM = ${JSON.stringify(DATE_SHIM)};
  const G = globalThis;
  const JSONparse = JSON.parse, JSONstringify = JSON.stringify;
  const keysOf = Object.keys, freeze = Object.freeze, create = Object.create, defineProperty = Object.defineProperty;
  const apply = Reflect.apply, construct = Reflect.construct;
  const sort = Array.prototype.sort;
  const imul = Math.imul;
  const PromiseCtor = Promise;
  const TypeErrorCtor = TypeError, RangeErrorCtor = RangeError, StringCtor = String;

  for (const name of ['WeakRef', 'FinalizationRegistry', 'Atomics', 'SharedArrayBuffer', 'WebAssembly',
    'process', 'require', 'module', 'exports', 'fetch', 'XMLHttpRequest', 'setTimeout', 'setInterval',
    'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'performance', 'console', 'print',
    'std', 'os', 'scriptArgs', 'gc', '__loadScript', 'Deno', 'Bun', 'global', 'window', 'self']) {
    delete G[name];
  }

  // The block time and the generator's state are set by each run; the module's top level runs before.
  let running = false, blockTime = 0;
  function notYet(what) {
    throw new TypeErrorCtor(what + ' is not available while the module loads: the block time and seed are set for the handlers');
  }
  function time() {
    if (!running) notYet('the current time');
    return blockTime;
  }

  // xoshiro128** (Blackman and Vigna), 32-bit words of the seed as given by the host.
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const rotl = (x, k) => (x << k) | (x >>> (32 - k));
  function random() {
    if (!running) notYet('Math.random()');
    const r = imul(rotl(imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
    return (r >>> 0) / 4294967296;
  }
  defineProperty(Math, 'random', { value: random, writable: true, configurable: true });

  // Date is replaced on its first use, when its shim is compiled (by the eval captured here): most runs never
  // touch a date. Until then the global is an accessor and the engine's Date is reachable only from this
  // closure; the shim uses defineProperty and index loops, so what the contract changed before (setters on
  // Function.prototype, iterators) cannot reach it.
  const OD = Date, evalFn = eval;
  let steleDate;
  function installDate() {
    if (steleDate === undefined)
      steleDate = apply(evalFn, undefined, [DATE_SHIM])(OD, time, apply, construct, keysOf, defineProperty, StringCtor);
    return steleDate;
  }
  defineProperty(G, 'Date', {
    get() {
      const D = installDate();
      defineProperty(G, 'Date', { value: D, writable: true, configurable: true });
      return D;
    },
    set(v) {
      installDate();
      defineProperty(G, 'Date', { value: v, writable: true, configurable: true });
    },
    configurable: true,
  });

  // UTF-8 bytes of a string. The regexp finds the first non-ASCII unit natively (a character loop in the
  // interpreter was most of a state.set); the captured exec and a private regexp keep the contract out of it.
  const NON_ASCII = /[^\x00-\x7f]/;
  const reExec = RegExp.prototype.exec, charCodeAt = String.prototype.charCodeAt;
  function utf8Length(s) {
    const m = apply(reExec, NON_ASCII, [s]);
    if (m === null) return s.length;
    let n = m.index;
    for (let i = m.index; i < s.length; i++) {
      const c = apply(charCodeAt, s, [i]);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff && (apply(charCodeAt, s, [i + 1]) & 0xfc00) === 0xdc00) { n += 4; i++; }
      else n += 3; // a lone surrogate is written as U+FFFD, as the host counts it
    }
    return n;
  }
  function toJson(value, what) {
    const text = JSONstringify(value);
    if (typeof text !== 'string') throw new TypeErrorCtor(what + ' is not JSON (undefined, a function or a symbol)');
    return text;
  }

  // The run's limits, state and events (set by each run).
  let limits, events;
  // The state: key -> JSON text, so a value read is a copy and changes only by ctx.state.set. Its UTF-8 size is
  // measured only when it could be over the limit: a UTF-16 unit is at most 3 bytes, so while knownBytes plus
  // 3 * unmeasuredUnits is within it nothing is measured (measuring was a third of a set). An entry (key and
  // text) is in bytesOf once measured, in unitsOf until then.
  let store, bytesOf, unitsOf, knownBytes, unmeasuredUnits;
  function measureAll() {
    const keys = keysOf(unitsOf);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const b = utf8Length(k) + utf8Length(store[k]);
      bytesOf[k] = b;
      knownBytes += b;
    }
    unitsOf = create(null);
    unmeasuredUnits = 0;
  }
  function forget(key) {
    const u = unitsOf[key];
    if (u !== undefined) {
      unmeasuredUnits -= u;
      delete unitsOf[key];
      return;
    }
    const b = bytesOf[key];
    if (b !== undefined) {
      knownBytes -= b;
      delete bytesOf[key];
    }
  }
  function checkKey(key) {
    // A UTF-16 unit is at most 3 bytes of UTF-8: short keys need no measuring.
    if (typeof key !== 'string' || key.length === 0 || (key.length * 3 > limits.keyBytes && utf8Length(key) > limits.keyBytes))
      throw new TypeErrorCtor('a state key is a string of 1 to ' + limits.keyBytes + ' bytes');
  }
  const state = freeze({
    get(key) {
      checkKey(key);
      const text = store[key];
      return text === undefined ? undefined : JSONparse(text);
    },
    set(key, value) {
      checkKey(key);
      const text = toJson(value, 'a state value');
      const units = key.length + text.length;
      const oldUnits = unitsOf[key], oldBytes = bytesOf[key];
      const otherBytes = knownBytes - (oldBytes === undefined ? 0 : oldBytes);
      const otherUnits = unmeasuredUnits - (oldUnits === undefined ? 0 : oldUnits);
      if (otherBytes + 3 * (otherUnits + units) <= limits.stateBytes) {
        // An entry set again stays in unitsOf: no delete, which makes QuickJS reshape the object.
        if (oldBytes !== undefined) {
          knownBytes = otherBytes;
          delete bytesOf[key];
        }
        store[key] = text;
        unitsOf[key] = units;
        unmeasuredUnits = otherUnits + units;
        return;
      }
      measureAll();
      const old = bytesOf[key];
      const bytes = utf8Length(key) + utf8Length(text);
      const size = knownBytes - (old === undefined ? 0 : old) + bytes;
      if (size > limits.stateBytes)
        throw new RangeErrorCtor('state limit: ' + size + ' bytes is over ' + limits.stateBytes);
      store[key] = text;
      bytesOf[key] = bytes;
      knownBytes = size;
    },
    delete(key) {
      checkKey(key);
      if (store[key] === undefined) return false;
      forget(key);
      delete store[key];
      return true;
    },
    has(key) { checkKey(key); return store[key] !== undefined; },
    keys() { return apply(sort, keysOf(store), []); },
    get size() { measureAll(); return knownBytes; },
  });

  function emit(name, data) {
    if (typeof name !== 'string' || name.length === 0 || name.length > 64)
      throw new TypeErrorCtor('an event name is a string of 1 to 64 characters');
    if (events.length >= limits.maxEvents) throw new RangeErrorCtor('event limit: at most ' + limits.maxEvents + ' per run');
    const text = '{"name":' + JSONstringify(name) + ',"data":' + toJson(data === undefined ? null : data, 'event data') + '}';
    if (text.length * 3 > limits.eventBytes && utf8Length(text) > limits.eventBytes)
      throw new RangeErrorCtor('event limit: an event is at most ' + limits.eventBytes + ' bytes of JSON');
    events[events.length] = text;
  }

  // The run: the configuration is the host's JSON (its state as key -> JSON text), read with captured built-ins,
  // own properties and index loops only, since the module has run already.
  return function run(configText, exportsNs) {
    const cfg = JSONparse(configText);
    limits = cfg.limits;
    blockTime = cfg.blockTime;
    const seed = cfg.seed;
    s0 = seed[0] | 0; s1 = seed[1] | 0; s2 = seed[2] | 0; s3 = seed[3] | 0;
    if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
    store = create(null); bytesOf = create(null); unitsOf = create(null);
    knownBytes = 0; unmeasuredUnits = 0;
    const initial = cfg.state, initialKeys = keysOf(initial);
    for (let i = 0; i < initialKeys.length; i++) {
      const k = initialKeys[i], text = initial[k];
      store[k] = text;
      unitsOf[k] = k.length + text.length;
      unmeasuredUnits += k.length + text.length;
    }
    events = [];
    running = true;
    const ctx = freeze({ contractId: cfg.contractId, blockTime, random, state, emit });

    if (exportsNs instanceof PromiseCtor) throw new TypeErrorCtor('top-level await is not allowed');
    const outputs = [];
    const calls = cfg.calls;
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i];
      const fn = exportsNs[call.handler];
      if (typeof fn !== 'function') throw new TypeErrorCtor('the contract exports no function ' + JSONstringify(call.handler));
      const out = fn(call.input, ctx);
      let text;
      // null, undefined and booleans (most handlers' answers) are written without a JSON.stringify call.
      if (out === undefined || out === null) text = 'null';
      else if (out === true || out === false) text = out ? 'true' : 'false';
      else {
        if ((typeof out === 'object' || typeof out === 'function') && typeof out.then === 'function')
          throw new TypeErrorCtor(call.handler + ' returned a promise: handlers are synchronous');
        text = toJson(out, 'the value ' + call.handler + ' returned');
      }
      if (text.length * 3 > limits.outputBytes && utf8Length(text) > limits.outputBytes)
        throw new RangeErrorCtor('output limit: ' + call.handler + ' returned over ' + limits.outputBytes + ' bytes');
      outputs[outputs.length] = text;
    }
    const keys = apply(sort, keysOf(store), []);
    let stateText = '';
    for (let i = 0; i < keys.length; i++) stateText += (i ? ',' : '') + JSONstringify(keys[i]) + ':' + store[keys[i]];
    let eventsText = '';
    for (let i = 0; i < events.length; i++) eventsText += (i ? ',' : '') + events[i];
    let outputsText = '';
    for (let i = 0; i < outputs.length; i++) outputsText += (i ? ',' : '') + outputs[i];
    const names = apply(sort, keysOf(exportsNs), []);
    let exportsText = '';
    for (let i = 0; i < names.length; i++)
      if (typeof exportsNs[names[i]] === 'function') exportsText += (exportsText ? ',' : '') + JSONstringify(names[i]);
    return '{"exports":[' + exportsText + '],"outputs":[' + outputsText + '],"events":[' + eventsText + '],"state":{' + stateText + '}}';
  };
})()`
