import assert from 'node:assert'
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { indexedOutgoingPersistence } from '../../gateway/aedes-outgoing.ts'

// aedes-persistence as aedes loads it: its suite for persistences, and its own memory persistence as the model.
const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'))
const abstractSuite = fromAedes('aedes-persistence/abstract.js')
const memory = fromAedes('aedes-persistence')

type TestContext = { plan(): void; diagnostic(): void; assert: typeof assert }

describe("embedded broker persistence: aedes-persistence's suite for persistences", () => {
  abstractSuite({
    // node:test's context, as far as the suite uses it
    test: (name: string, fn: (t: TestContext) => Promise<void>) =>
      it(name, () => fn({ plan() {}, diagnostic() {}, assert })),
    persistence: () => indexedOutgoingPersistence(),
    waitForReady: true,
  })
})

// biome-ignore lint/suspicious/noExplicitAny: aedes' persistences are untyped here
async function ready(p: any): Promise<any> {
  p.broker = { id: 'own', counter: 0, subscribe() {}, unsubscribe() {}, publish() {} }
  if (!p.ready) await new Promise((resolve) => p.once('ready', resolve))
  return p
}

// biome-ignore lint/suspicious/noExplicitAny: as above
async function queued(p: any, clientId: string): Promise<unknown[]> {
  const out: unknown[] = []
  for await (const packet of p.outgoingStream({ id: clientId })) out.push({ ...packet })
  return out
}

type Op =
  | { kind: 'enqueue'; clients: number[]; brokerId: string; counter: number }
  | { kind: 'update'; client: number; brokerId: string | undefined; counter: number; messageId: number }
  | { kind: 'clear'; client: number; messageId: number | undefined }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('enqueue' as const),
    clients: fc.array(fc.nat(1), { minLength: 1, maxLength: 2 }), // the same client twice: a counter queued twice
    brokerId: fc.constantFrom('own', 'own', 'own', 'other'),
    counter: fc.nat(12),
  }),
  fc.record({
    kind: fc.constant('update' as const),
    client: fc.nat(1),
    brokerId: fc.constantFrom('own', 'own', 'other', undefined), // undefined: a PUBREL, matched by its id
    counter: fc.nat(12),
    messageId: fc.nat(6),
  }),
  fc
    .record({ kind: fc.constant('clear' as const), client: fc.nat(1), messageId: fc.option(fc.nat(6)) })
    .map((o) => ({ ...o, messageId: o.messageId ?? undefined })),
)

/** Runs `ops` on aedes-persistence and on ours: every answer and what is left queued must be the same. */
async function sameAsAedes(ops: readonly Op[]): Promise<void> {
  const model = await ready(memory())
  const ours = await ready(indexedOutgoingPersistence())
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const outcome = async (p: any, o: Op): Promise<unknown> => {
    try {
      if (o.kind === 'enqueue') {
        const packet = { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1 }
        const stamped = { ...packet, brokerId: o.brokerId, brokerCounter: o.counter }
        return await p.outgoingEnqueueCombi(
          o.clients.map((c) => ({ clientId: `c${c}` })),
          stamped,
        )
      }
      if (o.kind === 'update') {
        const packet =
          o.brokerId === undefined
            ? { cmd: 'pubrel', messageId: o.messageId }
            : { brokerId: o.brokerId, brokerCounter: o.counter, messageId: o.messageId }
        return await p.outgoingUpdate({ id: `c${o.client}` }, packet)
      }
      const cleared = await p.outgoingClearMessageId({ id: `c${o.client}` }, { messageId: o.messageId })
      return cleared && { ...cleared }
    } catch (err) {
      return (err as Error).message
    }
  }
  for (const o of ops) expect(await outcome(ours, o)).toEqual(await outcome(model, o))
  for (const c of ['c0', 'c1']) expect(await queued(ours, c)).toEqual(await queued(model, c))
}

describe('embedded broker persistence: outgoing queues', () => {
  it('answers every sequence of enqueues, updates and clears exactly as aedes-persistence does', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 40 }), sameAsAedes), {
      seed: 42,
      numRuns: 300,
    })
  })

  it('finds the right packet by counter once a counter queued twice is queued once again', async () => {
    await sameAsAedes([
      { kind: 'enqueue', clients: [0, 0], brokerId: 'own', counter: 5 },
      { kind: 'update', client: 0, brokerId: 'own', counter: 5, messageId: 1 }, // the first of the two
      { kind: 'clear', client: 0, messageId: 1 },
      { kind: 'update', client: 0, brokerId: 'own', counter: 5, messageId: 2 }, // the one left
      { kind: 'clear', client: 0, messageId: 2 },
    ])
  })

  it('keeps a long queue acknowledged mostly in order as aedes-persistence does (the gateway under load)', async () => {
    const model = await ready(memory())
    const ours = await ready(indexedOutgoingPersistence())
    const client = { id: 'gateway' }
    for (const p of [model, ours]) {
      let id = 0
      const cleared: unknown[] = []
      for (let n = 1; n <= 5000; n++) {
        const packet = { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1 }
        await p.outgoingEnqueue({ clientId: client.id }, { ...packet, brokerId: 'own', brokerCounter: n })
        await p.outgoingUpdate(client, { brokerId: 'own', brokerCounter: n, messageId: (id % 65535) + 1 })
        id++
        // Acknowledged 1,500 behind, every 7th out of order (the one after it first).
        const ack = n - 1500
        if (ack > 0 && ack % 7 !== 0) cleared.push(await p.outgoingClearMessageId(client, { messageId: ack }))
        if (ack > 0 && ack % 7 === 6)
          cleared.push(await p.outgoingClearMessageId(client, { messageId: ack + 1 }))
      }
      p.result = { cleared: cleared.map((c) => ({ ...(c as object) })), left: await queued(p, client.id) }
    }
    expect(ours.result.left).toHaveLength(1500)
    expect(ours.result).toEqual(model.result)
  })
})
