import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.ts'
import { hasPtySupport } from '../../device-sim/pty.ts'
import { type SerialFleet, startSerialFleet } from '../../device-sim/start-boards.ts'
import { createFirmataConnector } from '../../gateway/connectors/firmata/firmata-connector.ts'
import { createSerialConnector } from '../../gateway/connectors/serial/serial-connector.ts'
import { RecordingSink } from '../firmware-bridge/recording-sink.ts'
import { until } from '../helpers/wait.ts'

let fleet: SerialFleet | null = null
const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s()
  await fleet?.stop()
  fleet = null
})

/** What `stele start` does with the fleet: plug the boards in, hand their configs to the two connectors. */
async function runFleet(preferMemory: boolean) {
  fleet = await startSerialFleet({
    lineBoards: 1,
    firmataBoards: 1,
    rate: 20,
    seed: 7,
    preferMemory,
    log: silentLogger,
  })
  const sink = new RecordingSink()
  const components = {
    sink,
    log: silentLogger,
    ...(fleet.openSerial ? { openSerial: fleet.openSerial } : {}),
  }
  const serial = createSerialConnector({ ports: fleet.serialPorts })(components)
  const firmata = createFirmataConnector({ boards: fleet.firmataBoards })(components)
  stops.push(
    () => serial.stop(),
    () => firmata.stop(),
  )
  await serial.start()
  await firmata.start()
  await until(() => sink.of('sim-line-01').length >= 9 && sink.of('sim-firmata-01').length >= 4, {
    what: 'both boards reporting',
    on: [[sink, 'push']],
  })
  return { fleet, sink }
}

describe('simulated serial fleet (the default of stele start)', () => {
  it('runs on real ptys when socat is installed', async () => {
    expect(hasPtySupport()).toMatchObject({ ok: true })
    const { fleet, sink } = await runFleet(false)
    expect(fleet.kind).toBe('pty')
    expect(fleet.serialPorts[0]!.path).toMatch(/sim-line-01$/)
    expect(new Set(sink.of('sim-firmata-01').map((r) => r.sensor))).toEqual(new Set(['temp', 'light']))
  })

  it('falls back to the in-process link', async () => {
    const { fleet } = await runFleet(true)
    expect(fleet.kind).toBe('memory')
    expect(fleet.serialPorts[0]!.path).toBe('sim://sim-line-01')
  })

  it('reports missing socat with a hint', () => {
    expect(hasPtySupport('/nonexistent/socat')).toMatchObject({
      ok: false,
      hint: expect.stringContaining('apt-get install socat'),
    })
  })
})
