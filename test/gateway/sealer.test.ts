import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../core/ed25519.ts'
import { silentLogger } from '../../core/logger.ts'
import { encodeRecordList } from '../../core/record.ts'
import { decodeTx, verifyTxSignature } from '../../core/transaction.ts'
import { inlineSealer, type SealJob, workerSealer } from '../../gateway/sealer.ts'

const key = generateKeyPair()
const jobs: SealJob[] = [1, 2, 3].map((seq) => ({
  seq,
  firstRecordSeq: (seq - 1) * 4 + 1,
  minTime: 1_700_000_000_000 + seq,
  maxTime: 1_700_000_000_100 + seq,
  list: encodeRecordList(Array.from({ length: 4 }, (_, i) => new Uint8Array([seq, i, 7, 9]))),
}))
const prevHash = new Uint8Array(32).fill(5)

describe('sealer', () => {
  it('seals in a worker thread exactly what the inline sealer seals: signed, each linked to the one before', async () => {
    const inline = await inlineSealer(key).seal('chain-a', prevHash, jobs)
    const sealer = workerSealer(key, silentLogger)
    try {
      await sealer.ready()
      const inWorker = await sealer.seal('chain-a', prevHash, jobs)
      expect(inWorker.map((s) => Buffer.from(s.tx))).toEqual(inline.map((s) => Buffer.from(s.tx)))
      expect(inWorker.map((s) => Buffer.from(s.headerHash))).toEqual(
        inline.map((s) => Buffer.from(s.headerHash)),
      )
      for (const s of inWorker) expect(verifyTxSignature(decodeTx(s.tx))).toBe(true)
      // a second group continues from the first group's last header
      const next = await sealer.seal('chain-a', inWorker[2]!.headerHash, [{ ...jobs[0]!, seq: 4 }])
      expect(next).toHaveLength(1)
    } finally {
      await sealer.close()
    }
  })

  it('seals on the calling thread until the worker has loaded', async () => {
    const sealer = workerSealer(
      key,
      silentLogger,
      new URL('./fixtures/silent-seal-worker.ts', import.meta.url),
    )
    try {
      const sealed = await sealer.seal('chain-a', prevHash, jobs)
      expect(sealed.map((s) => Buffer.from(s.tx))).toEqual(
        (await inlineSealer(key).seal('chain-a', prevHash, jobs)).map((s) => Buffer.from(s.tx)),
      )
    } finally {
      await sealer.close()
    }
  })

  it('seals on the calling thread when the worker fails, logging it once', async () => {
    const errors: unknown[] = []
    const logger = { ...silentLogger, error: (o: unknown) => errors.push(o) }
    const sealer = workerSealer(key, logger, new URL('./no-such-seal-worker.ts', import.meta.url))
    const sealed = await sealer.seal('chain-a', prevHash, jobs)
    expect(sealed.map((s) => Buffer.from(s.tx))).toEqual(
      (await inlineSealer(key).seal('chain-a', prevHash, jobs)).map((s) => Buffer.from(s.tx)),
    )
    await expect.poll(() => errors.length).toBe(1) // the thread's failure comes after its start
    expect(await sealer.seal('chain-a', prevHash, jobs)).toHaveLength(3)
    expect(errors).toHaveLength(1)
    await sealer.close()
  })
})
