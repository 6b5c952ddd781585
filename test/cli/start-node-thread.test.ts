import { describe, expect, it } from 'vitest'
import { spawnNodeThread } from '../../cli/commands/start-node-thread.ts'
import { toHex } from '../../core/bytes.ts'
import { generateKeyPair } from '../../core/ed25519.ts'
import { isSteleError } from '../../core/errors.ts'
import type { GatewayStatus } from '../../gateway/gateway.ts'
import { BatchMaker } from '../helpers/batches.ts'
import { tempDir } from '../helpers/tmp.ts'

const init = (data: string, gateway: string) => ({
  data,
  host: '127.0.0.1',
  port: 0,
  blockIntervalMs: 60_000,
  gateway,
})

describe('stele start: the node in its own thread', () => {
  it('serves the node to the gateway over the port, its HTTP API with the gateway status, and closes durably', async () => {
    const dir = await tempDir('stele-node-thread-')
    try {
      const key = generateKeyPair()
      const status = { publicKey: 'k', connectors: [], outbox: { batches: 7 } } as unknown as GatewayStatus
      const first = await spawnNodeThread({ log: 'silent' }).open(init(dir.path, toHex(key.publicKey)), {
        status: () => status,
        deadLetters: () => [],
      })
      const gw = new BatchMaker((await first.api.info()).chainId, { key })
      try {
        // Routes in the node's thread read the main thread's gateway status.
        const r = await fetch(`${first.url}/v1/gateway`)
        expect(await r.json()).toMatchObject({ outbox: { batches: 7 } })
        expect((await first.api.gatewayTip(key.publicKey)).registered).toBe(true)
        const batches = [gw.next(3), gw.next(2)]
        const results = await first.api.submitBatches(batches)
        expect(results.map((x) => x.status)).toEqual(['accepted', 'accepted'])
        // The caller's bytes stay its own (the submitter resends them after a failure): copied, not detached.
        expect(batches[0]!.tx.byteLength).toBeGreaterThan(0)
        expect((await first.progress()).records).toBe(5)
      } finally {
        await first.close()
      }
      // Reopened on the same folder: the batches were written before the thread ended.
      const third = await spawnNodeThread({ log: 'silent' }).open(init(dir.path, toHex(gw.key.publicKey)))
      try {
        expect((await third.api.gatewayTip(gw.key.publicKey)).nextSeq).toBe(3)
      } finally {
        await third.close()
      }
    } finally {
      await dir.cleanup()
    }
  }, 120_000)

  it('reports a thread that dies, and fails its pending calls', async () => {
    const entry = new URL('./fixtures/dying-node-worker.ts', import.meta.url)
    const thread = await spawnNodeThread({ log: 'silent', entry }).open(init('unused', 'unused'))
    const pending = thread.progress()
    const failed = await thread.failed
    expect(isSteleError(failed, 'STELE_INTERNAL')).toBe(true)
    expect(failed.message).toMatch(/node thread bug/)
    await expect(pending).rejects.toMatchObject({ code: 'STELE_UNAVAILABLE' })
    await thread.close()
  }, 60_000)
})
