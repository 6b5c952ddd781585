import { afterAll, describe, expect, it } from 'vitest'
import { backgroundTimers } from '../../core/timers.ts'
import { unplugFor } from '../../device-sim/faults.ts'
import { tempDir } from '../helpers/tmp.ts'
import { formatResults, progress, runScenario, type ScenarioResult } from './faults/scenario.ts'
import { runSerialScenario } from './faults/serial-scenario.ts'

/**
 * Fault tests with real processes, a real durable broker and real LevelDB, on loopback. Kept short for CI;
 * `npm run soak` runs the same faults for ten minutes.
 */
const results: ScenarioResult[] = []
const dirs: { cleanup(): Promise<void> }[] = []
const load = { devices: 4, perDevice: 250, rateHz: 50 }

async function scenario(
  fault: string,
  inject: Parameters<typeof runScenario>[3],
  extra: { gatewayArgs?: string[]; broker?: 'aedes' | 'mosquitto' } = {},
) {
  const dir = await tempDir('stele-fault-')
  dirs.push(dir)
  const r = await runScenario(dir.path, fault, { ...load, ...extra }, inject)
  results.push(r)
  expect(r.problems).toEqual([])
  expect(r.lost).toBe(0)
  expect(r.duplicated).toBe(0)
  expect(r.timeBackwards).toBe(0)
  expect(r.acknowledged).toBe(load.devices * load.perDevice)
  expect(r.times).toBeGreaterThan(0)
  return r
}

const serialResults: ScenarioResult[] = []

async function serialScenario(fault: string, inject: Parameters<typeof runSerialScenario>[3]) {
  const dir = await tempDir('stele-serial-fault-')
  dirs.push(dir)
  const r = await runSerialScenario(dir.path, fault, { boards: 2 }, inject)
  serialResults.push(r)
  expect(r.problems).toEqual([])
  expect(r.lost).toBe(0)
  expect(r.duplicated).toBe(0)
  expect(r.timeBackwards).toBe(0)
  expect(r.acknowledged).toBeGreaterThan(0)
  return r
}

afterAll(async () => {
  if (results.length) console.log(`\nfault tests\n${formatResults(results)}`)
  if (serialResults.length) console.log(`\nserial fault tests\n${formatResults(serialResults)}`)
  for (const d of dirs) await d.cleanup()
})

describe('nothing acknowledged is lost, nothing is stored twice', { timeout: 120_000 }, () => {
  it('kill -9 of the node mid-ingest, three times', async () => {
    await scenario('node kill -9', async (c) => {
      for (let i = 0; i < 3; i++) {
        await progress(c, 40)
        await c.killNode()
        await c.startNode()
      }
      return 3
    })
  })

  it('kill -9 of the gateway mid-ingest, twice', async () => {
    await scenario('gateway kill -9', async (c) => {
      for (let i = 0; i < 2; i++) {
        await progress(c, 40)
        await c.killGateway()
        await c.startGateway()
      }
      return 2
    })
  })

  it('the broker (Mosquitto with persistence) stops for 2 s and comes back', async () => {
    await scenario(
      'broker stop 2 s (Mosquitto)',
      async (c) => {
        await progress(c, 40)
        await c.stopBroker()
        await new Promise((r) => setTimeout(r, 2000)) // the fault itself is a duration, not a synchronisation
        await c.startBroker()
        return 1
      },
      { broker: 'mosquitto' },
    )
  })

  it('the node is unreachable for 3 s', async () => {
    await scenario('node unreachable 3 s', async (c) => {
      await progress(c, 40)
      c.pauseNode()
      await new Promise((r) => setTimeout(r, 3000))
      c.resumeNode()
      return 1
    })
  })

  it('the outbox fills while the node is down, holding sources back, and drains when it returns', async () => {
    await scenario(
      'outbox full (node down)',
      async (c) => {
        await progress(c, 40)
        await c.killNode()
        await c.gateway.waitFor((l) => String(l['msg']).includes('outbox full'), 'the outbox to fill', 30_000)
        await c.startNode()
        return 1
      },
      { gatewayArgs: ['--outbox-max-batches', '5'] },
    )
  })
})

describe('serial boards: nothing acknowledged is lost, nothing is stored twice', { timeout: 90_000 }, () => {
  it('kill -9 of the gateway while the ACKs of durable frames are lost on the line, twice', async () => {
    await serialScenario('gateway kill -9, ACKs lost', async (c, boards) => {
      for (let i = 0; i < 2; i++) {
        await progress(c, 60)
        for (const b of boards) b.dropAcks = true
        await progress(c, 180) // about 1.5 s of frames made durable whose ACKs never arrive
        await c.killGateway()
        for (const b of boards) b.dropAcks = false
        await c.startGateway()
      }
      return 2
    })
  })

  it('a board reboots mid-stream (new boot, seqs from 0, its unacknowledged ring gone)', async () => {
    await serialScenario('board reboot', async (c, boards) => {
      await progress(c, 60)
      for (const b of boards) b.board.reboot()
      await progress(c, 150)
      return 1
    })
  })

  it('a board is unplugged for 2 s and plugged back', async () => {
    await serialScenario('board unplug 2 s', async (c, boards) => {
      await progress(c, 60)
      await Promise.all(boards.map((b) => unplugFor(b.plug, 2000, backgroundTimers)))
      await progress(c, 60)
      return 1
    })
  })
})
