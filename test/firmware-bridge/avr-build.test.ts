import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

/**
 * Builds stele_board.ino for an Arduino Uno (ATmega328P, 2 KB RAM) with avr-gcc and the Arduino AVR core as
 * Debian packages them (apt-get install gcc-avr avr-libc arduino-core-avr), and checks its static RAM. `npm run setup` installs the
 * toolchain (CI runs it); a machine without it fails here with that hint rather than skipping.
 */
const run = promisify(execFile)
const AVR = '/usr/share/arduino/hardware/arduino/avr'
const have = existsSync('/usr/bin/avr-g++') && existsSync(join(AVR, 'cores/arduino/Arduino.h'))
const arduino = join(import.meta.dirname, '../../firmware-bridge/arduino')
const dir = mkdtempSync(join(tmpdir(), 'stele-avr-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const CORE = [
  'main.cpp',
  'wiring.c',
  'wiring_analog.c',
  'wiring_digital.c',
  'hooks.c',
  'HardwareSerial.cpp',
  'HardwareSerial0.cpp',
  'Print.cpp',
  'Stream.cpp',
  'abi.cpp',
  'new.cpp',
]

describe('stele_board.ino for an Arduino Uno (avr-gcc)', () => {
  it('has the AVR toolchain (npm run setup installs it)', () => {
    expect(have, 'avr-g++ or the Arduino AVR core is missing: run npm run setup').toBe(true)
  })

  it('compiles without warnings and fits the Uno with room to spare', { timeout: 60_000 }, async () => {
    const flags = [
      '-mmcu=atmega328p',
      '-DF_CPU=16000000L',
      '-DARDUINO=10807',
      '-DARDUINO_AVR_UNO',
      '-DARDUINO_ARCH_AVR',
      '-Os',
      '-ffunction-sections',
      '-fdata-sections',
      `-I${join(AVR, 'cores/arduino')}`,
      `-I${join(AVR, 'variants/standard')}`,
      `-I${join(AVR, 'libraries/EEPROM/src')}`,
      `-I${arduino}`,
      `-I${join(arduino, 'stele_board')}`,
    ]
    const cxx = ['-std=gnu++11', '-fno-exceptions', '-fno-threadsafe-statics']
    // What the Arduino builder does with a sketch: include Arduino.h first, then compile it as C++.
    writeFileSync(join(dir, 'sketch.cpp'), '#include <Arduino.h>\n#include "stele_board.ino"\n')
    await run('avr-g++', [
      ...flags,
      ...cxx,
      '-Wall',
      '-Wextra',
      '-Werror',
      '-c',
      join(dir, 'sketch.cpp'),
      '-o',
      join(dir, 'sketch.o'),
    ])
    const objects = await Promise.all(
      CORE.map(async (f) => {
        const out = join(dir, `${f}.o`)
        const c = f.endsWith('.c')
        await run(c ? 'avr-gcc' : 'avr-g++', [
          ...flags,
          ...(c ? [] : cxx),
          '-c',
          join(AVR, 'cores/arduino', f),
          '-o',
          out,
        ])
        return out
      }),
    )
    const elf = join(dir, 'sketch.elf')
    await run('avr-gcc', [
      '-mmcu=atmega328p',
      '-Os',
      '-Wl,--gc-sections',
      '-o',
      elf,
      join(dir, 'sketch.o'),
      ...objects,
      '-lm',
    ])
    const { stdout } = await run('avr-size', ['-A', elf])
    const size = (section: string): number =>
      Number(new RegExp(`^\\${section}\\s+(\\d+)`, 'm').exec(stdout)?.[1] ?? 0)
    const flash = size('.text') + size('.data')
    const ram = size('.data') + size('.bss')
    console.log(
      `stele_board.ino on an Uno: ${flash} bytes of flash (of 32256), ${ram} bytes of static RAM (of 2048)`,
    )
    expect(flash).toBeLessThan(16 * 1024)
    // Static RAM includes the serial buffers (128 bytes) and the ring; the rest of the 2 KB is stack.
    expect(ram).toBeLessThan(1024)
  })
})
