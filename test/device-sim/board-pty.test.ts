import { existsSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createPtyPair } from '../../device-sim/pty.ts'
import { openSerialPort } from '../../firmware-bridge/serial-link.ts'
import { tempDir } from '../helpers/tmp.ts'
import { once, until } from '../helpers/wait.ts'

describe('createPtyPair (socat)', () => {
  it('makes two linked device paths that serialport opens, and removes them when closed', async () => {
    const tmp = await tempDir('stele-pty-')
    try {
      const pair = await createPtyPair({ dir: tmp.path, names: ['gw', 'board'] })
      expect(pair.a).toBe(join(tmp.path, 'gw'))
      expect(readlinkSync(pair.a)).toBe(pair.ptsA)
      expect(pair.ptsB).toMatch(/^\/dev\/pts\/\d+$/)
      const a = await openSerialPort({ path: pair.a, baudRate: 115_200 })
      const b = await openSerialPort({ path: pair.b, baudRate: 115_200 })
      let got = ''
      a.stream.on('data', (d: Buffer) => {
        got += d.toString()
      })
      b.stream.write('hello through a pty')
      await until(() => got === 'hello through a pty', { what: 'bytes across', on: [[a.stream, 'data']] })
      // Closing the pair is an unplug: the open descriptors see the line close, the paths vanish.
      const closed = once(a.stream, 'close', { what: 'the line to close' })
      await pair.close()
      await closed
      expect(existsSync(pair.a) || existsSync(pair.b)).toBe(false)
      await b.close()
      await pair.close() // idempotent
    } finally {
      await tmp.cleanup()
    }
  })

  it('fails with STELE_UNAVAILABLE and a hint when socat is missing, and honours an aborted signal', async () => {
    await expect(createPtyPair({ socatPath: '/nonexistent/socat' })).rejects.toMatchObject({
      code: 'STELE_UNAVAILABLE',
      message: expect.stringContaining('install socat'),
    })
    await expect(createPtyPair({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'STELE_UNAVAILABLE',
    })
  })
})
