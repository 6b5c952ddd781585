import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Logger, silentLogger } from '../core/logger.ts'
import type { FirmataSensorConfig } from '../firmware-bridge/firmata-adapter.ts'
import type { OpenSerial } from '../firmware-bridge/serial-link.ts'
import { BoardPlug, memoryWires, ptyWires, type WireFactory } from './board-plug.ts'
import { createLineFaults, type LineFaultConfig } from './faults.ts'
import { FirmataBoard, type FirmataBoardInit } from './firmata-board.ts'
import { LineBoard, type LineBoardInit } from './line-board.ts'
import { createMemorySerialHub } from './memory-link.ts'
import { hasPtySupport } from './pty.ts'
import { createRandom, deriveSeed } from './random.ts'

/**
 * Entry points for `stele start` and `stele sim`: simulated boards plugged into real ptys when socat is there,
 * into an in-process link otherwise (with one log line saying how to get real ptys). The returned port configs
 * are what the serial and Firmata connectors take, so the CLI only passes them through.
 */
export interface SimWires {
  kind: 'pty' | 'memory'
  wires: WireFactory
  /** Set for the in-process link: the connectors must open paths through it instead of serialport. */
  openSerial: OpenSerial | undefined
  /** Folder of the pty links (gateway ends), when kind is 'pty'. */
  dir: string | undefined
}

export function chooseWires(opts: { dir?: string; log?: Logger; preferMemory?: boolean } = {}): SimWires {
  const log = opts.log ?? silentLogger
  const support = hasPtySupport()
  if (support.ok && !opts.preferMemory) {
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'stele-boards-'))
    return { kind: 'pty', wires: ptyWires(dir), openSerial: undefined, dir }
  }
  if (!support.ok)
    log.warn(
      { reason: support.reason },
      `simulated boards use an in-process link instead of pseudo-terminals; to get real ptys, ${support.hint}`,
    )
  const hub = createMemorySerialHub()
  return { kind: 'memory', wires: memoryWires(hub), openSerial: hub.openSerial, dir: undefined }
}

export interface SimBoardHandle<B> {
  board: B
  plug: BoardPlug
  /** The device path the gateway opens. */
  path: string
  stop(): Promise<void>
}

async function plugIn<B extends LineBoard | FirmataBoard>(
  board: B,
  wires: WireFactory,
  name: string,
  signal?: AbortSignal,
): Promise<SimBoardHandle<B>> {
  const plug = new BoardPlug(board, wires, name)
  try {
    const path = await plug.plug(undefined, signal ? { signal } : {})
    return {
      board,
      plug,
      path,
      stop: async () => {
        await plug.unplug()
        await board.stop()
      },
    }
  } catch (e) {
    await board.stop()
    throw e
  }
}

/** A line-protocol board, sampling at once, plugged into a new wire named `name` (default its board id). */
export function startLineBoard(
  init: LineBoardInit & {
    wires: WireFactory
    name?: string
    lineFaults?: LineFaultConfig
    seed?: number
    signal?: AbortSignal
  },
): Promise<SimBoardHandle<LineBoard>> {
  const random = init.random ?? createRandom(init.seed ?? 1)
  const faults =
    init.faults ??
    (init.lineFaults
      ? createLineFaults(init.lineFaults, createRandom(deriveSeed(init.seed ?? 1, 99)))
      : undefined)
  const board = new LineBoard({ ...init, random, ...(faults ? { faults } : {}) })
  return plugIn(board, init.wires, init.name ?? init.boardId, init.signal)
}

/** A StandardFirmata board plugged into a new wire named `name`. */
export function startFirmataBoard(
  init: FirmataBoardInit & { wires: WireFactory; name: string; seed?: number; signal?: AbortSignal },
): Promise<SimBoardHandle<FirmataBoard>> {
  const board = new FirmataBoard({ ...init, random: init.random ?? createRandom(init.seed ?? 1) })
  return plugIn(board, init.wires, init.name, init.signal)
}

/** Port configuration for createSerialConnector / createFirmataConnector (structurally; device-sim cannot import gateway). */
export interface SimSerialPort {
  name: string
  path: string
  match: { boardId: string; paths?: string[] }
  baudRate: number
}
export interface SimFirmataBoard {
  device: string
  path: string
  match?: { paths: string[] }
  baudRate: number
  sensors: FirmataSensorConfig[]
}

export interface SerialFleet {
  kind: 'pty' | 'memory'
  /** Pass to both connectors' components when set (in-process link). */
  openSerial: OpenSerial | undefined
  serialPorts: SimSerialPort[]
  firmataBoards: SimFirmataBoard[]
  lineBoards: SimBoardHandle<LineBoard>[]
  firmata: SimBoardHandle<FirmataBoard>[]
  stop(): Promise<void>
}

/** Firmata pin map of a simulated board: an LM35 on A0 and a light sensor on A1. */
export const SIM_FIRMATA_SENSORS = (intervalMs: number): FirmataSensorConfig[] => [
  {
    name: 'temp',
    pin: 'A0',
    intervalMs,
    scale: { raw: [0, 1023], value: [0, 500] },
    decimals: 1,
    unit: '°C',
  },
  {
    name: 'light',
    pin: 'A1',
    intervalMs,
    scale: { raw: [0, 1023], value: [0, 100] },
    decimals: 1,
    unit: '%',
  },
]

/**
 * The default simulated fleet of `stele start`: `lineBoards` line-protocol boards and `firmataBoards`
 * StandardFirmata boards, each on its own pty (or in-process wire), plus the connector configuration for them.
 */
export async function startSerialFleet(opts: {
  lineBoards?: number
  firmataBoards?: number
  /** Readings per second per sensor. */
  rate?: number
  seed?: number
  dir?: string
  log?: Logger
  preferMemory?: boolean
  lineFaults?: LineFaultConfig
}): Promise<SerialFleet> {
  const log = opts.log ?? silentLogger
  const seed = opts.seed ?? 1
  const intervalMs = Math.max(10, Math.round(1000 / (opts.rate ?? 1)))
  const w = chooseWires({
    ...(opts.dir ? { dir: opts.dir } : {}),
    log,
    ...(opts.preferMemory ? { preferMemory: true } : {}),
  })
  const fleet: SerialFleet = {
    kind: w.kind,
    openSerial: w.openSerial,
    serialPorts: [],
    firmataBoards: [],
    lineBoards: [],
    firmata: [],
    stop: async () => {
      for (const b of [...fleet.lineBoards, ...fleet.firmata]) await b.stop()
      // The pty links are gone with socat; remove the temporary folder that held them, if we made it.
      if (w.dir && !opts.dir) rmSync(w.dir, { recursive: true, force: true })
    },
  }
  try {
    for (let i = 1; i <= (opts.lineBoards ?? 1); i++) {
      const boardId = `sim-line-${String(i).padStart(2, '0')}`
      const h = await startLineBoard({
        boardId,
        wires: w.wires,
        seed: deriveSeed(seed, i),
        sampleIntervalMs: intervalMs,
        ...(opts.lineFaults ? { lineFaults: opts.lineFaults } : {}),
      })
      fleet.lineBoards.push(h)
      fleet.serialPorts.push({
        name: boardId,
        path: h.path,
        match: { boardId, ...(w.dir ? { paths: [join(w.dir, `${boardId}*`)] } : {}) },
        baudRate: 115_200,
      })
    }
    for (let i = 1; i <= (opts.firmataBoards ?? 1); i++) {
      const device = `sim-firmata-${String(i).padStart(2, '0')}`
      const h = await startFirmataBoard({
        name: device,
        wires: w.wires,
        seed: deriveSeed(seed, 1000 + i),
        analog: {
          0: { base: 45, amplitude: 4, periodMs: 600_000, noise: 1 },
          1: { base: 600, amplitude: 200, periodMs: 300_000, noise: 10 },
        },
      })
      fleet.firmata.push(h)
      fleet.firmataBoards.push({
        device,
        path: h.path,
        ...(w.dir ? { match: { paths: [join(w.dir, `${device}*`)] } } : {}),
        baudRate: 57_600,
        sensors: SIM_FIRMATA_SENSORS(intervalMs),
      })
    }
  } catch (e) {
    await fleet.stop()
    throw e
  }
  log.info(
    {
      kind: w.kind,
      line: fleet.serialPorts.map((p) => p.path),
      firmata: fleet.firmataBoards.map((b) => b.path),
    },
    'simulated serial boards plugged in',
  )
  return fleet
}
