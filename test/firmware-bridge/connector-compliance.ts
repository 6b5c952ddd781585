import { describe, expect, it } from 'vitest'
import { isSteleError } from '../../core/errors.ts'
import type { Connector } from '../../gateway/connectors/connector.ts'
import { until } from '../helpers/wait.ts'
import { RecordingSink } from './recording-sink.ts'

/**
 * What every Connector promises, whatever it connects to: idempotent start and stop, an aborted signal
 * refused, a status whose shape and counters make sense, readings that reach the sink once started, and a
 * prompt stop. `make` builds a connector against a live source; `cleanup` tears the source down.
 */
export function connectorCompliance(
  name: string,
  kind: 'mqtt' | 'serial' | 'firmata',
  make: (sink: RecordingSink) => Promise<{ connector: Connector; cleanup: () => Promise<void> }>,
): void {
  describe(`Connector compliance: ${name}`, () => {
    it('stop before start, double start and double stop are harmless', async () => {
      const sink = new RecordingSink()
      const { connector, cleanup } = await make(sink)
      try {
        await connector.stop()
        await connector.start()
        await connector.start()
        await connector.stop()
        await connector.stop()
      } finally {
        await cleanup()
      }
    })

    it('refuses to start with an aborted signal', async () => {
      const { connector, cleanup } = await make(new RecordingSink())
      try {
        const signal = AbortSignal.abort()
        // Serial and Firmata reject with the signal's reason; MQTT wraps it in STELE_UNAVAILABLE as the cause.
        await expect(connector.start({ signal })).rejects.toSatisfy(
          (e) => e === signal.reason || (isSteleError(e, 'STELE_UNAVAILABLE') && e.cause === signal.reason),
        )
        expect(connector.status().connected).toBe(false)
      } finally {
        await cleanup()
      }
    })

    it('delivers readings, reports consistent status, and stops within a second', async () => {
      const sink = new RecordingSink()
      const { connector, cleanup } = await make(sink)
      try {
        const before = connector.status()
        expect(before).toMatchObject({
          name: connector.name,
          kind,
          connected: false,
          received: 0,
          readings: 0,
          errors: 0,
          lastMessageAt: null,
        })
        await connector.start()
        await until(() => sink.readings.length >= 3 && connector.status().readings >= 3, {
          what: 'readings',
          on: [[sink, 'push']],
        })
        const st = connector.status()
        expect(st.connected).toBe(true)
        expect(st.received).toBeGreaterThan(0)
        expect(st.readings).toBeLessThanOrEqual(sink.readings.length)
        expect(typeof st.lastMessageAt).toBe('number')
        for (const r of sink.readings) expect(r.source).toBe(kind)
        const t0 = Date.now()
        await connector.stop()
        expect(Date.now() - t0).toBeLessThan(1000)
        expect(connector.status().connected).toBe(false)
      } finally {
        await cleanup()
      }
    })
  })
}
