import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { gatewayStatusRoutes } from '../../../cli/gateway-status.ts'
import { runNode } from '../../../cli/run-node.ts'
import type { Gateway } from '../../../gateway/gateway.ts'
import { tempDir } from '../../helpers/tmp.ts'

describe('runNode', () => {
  it('serves the plugins it is given (stele start: GET /v1/gateway and /v1/gateway/dead-letters)', async () => {
    const dir = await tempDir('stele-run-node-')
    // The status routes read only status() and deadLetters(): a real Gateway is what stele start passes.
    const gateway = {
      status: () => ({ connectors: [], outbox: { batches: 3 } }),
      deadLetters: () => [{ topic: 'stele//t', reason: 'empty device' }],
    } as unknown as Gateway
    const running = await runNode({
      data: dir.path,
      host: '127.0.0.1',
      port: 0,
      blockIntervalMs: 60_000,
      logger: pino({ level: 'silent' }),
      plugins: [gatewayStatusRoutes(gateway)],
    })
    try {
      const status = await fetch(`${running.url}/v1/gateway`)
      expect(status.status).toBe(200)
      expect(await status.json()).toMatchObject({ outbox: { batches: 3 } })
      const dead = await fetch(`${running.url}/v1/gateway/dead-letters`)
      expect(dead.status).toBe(200)
      expect(((await dead.json()) as { items: unknown[] }).items).toHaveLength(1)
      const doc = (await (await fetch(`${running.url}/docs/json`)).json()) as {
        paths: Record<string, unknown>
      }
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/v1/gateway', '/v1/gateway/dead-letters']),
      )
    } finally {
      await running.close()
      await dir.cleanup()
    }
  })
})
