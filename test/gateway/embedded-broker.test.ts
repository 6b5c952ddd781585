import mqtt from 'mqtt'
import { describe, expect, it } from 'vitest'
import { isSteleError, type SteleError } from '../../core/errors.ts'
import { startEmbeddedBroker } from '../../gateway/embedded-broker.ts'

describe('embedded broker', () => {
  it('listens on an ephemeral loopback port and reports it', async () => {
    const broker = await startEmbeddedBroker({ port: 0, allowAnonymous: true })
    expect(broker.host).toBe('127.0.0.1')
    expect(broker.port).toBeGreaterThan(0)
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`)
    const c = await mqtt.connectAsync(broker.url, { clientId: 'probe' })
    expect(broker.clients()).toBe(1)
    await c.endAsync()
    await broker.close()
  })

  it('refuses a port in use with STELE_CONFIG naming the port', async () => {
    const first = await startEmbeddedBroker({ port: 0, allowAnonymous: true })
    const err = (await startEmbeddedBroker({ port: first.port, allowAnonymous: true }).catch(
      (e) => e,
    )) as SteleError
    expect(isSteleError(err, 'STELE_CONFIG')).toBe(true)
    expect(err.message).toContain(String(first.port))
    expect(err.message).toMatch(/in use/)
    await first.close()
  })
})
