/**
 * Sending a PUBACK ourselves, after mqtt.js was told to move on without one (see mqtt-connector.ts).
 *
 * Only on the connection the message came in on: after a reconnect the packet id may name another message,
 * and the broker resends ours anyway (the batcher drops the repeat). One outbox write releases hundreds of
 * messages in the same tick, so their PUBACKs are gathered and leave in one socket write at the next tick. A
 * PUBACK is four fixed bytes (0x40, length 2, packet id): encoding them here spares mqtt.js's per-packet path
 * (an event, a packet object and three small stream writes each), which was the gateway's largest cost under load.
 */
import type { MqttClient } from 'mqtt'

type Writable = { write(chunk: Uint8Array): boolean; destroyed?: boolean }

export interface PubackSender {
  /** True when queued on its connection; false when the connection it belongs to is gone. */
  send(client: MqttClient, stream: unknown, messageId: number): boolean
}

const PUBACK = 0x40

export function createPubackSender(): PubackSender {
  let queued: { stream: Writable; bytes: Uint8Array; used: number } | null = null

  const flush = (): void => {
    const q = queued
    queued = null
    if (!q || q.stream.destroyed) return // the broker resends what the closed session did not acknowledge
    q.stream.write(q.bytes.subarray(0, q.used))
  }

  return {
    send(client, stream, messageId) {
      if (client.stream !== stream || !client.connected) return false
      const s = stream as Writable
      if (queued && queued.stream !== s) flush()
      if (!queued) {
        queued = { stream: s, bytes: Buffer.allocUnsafe(4096), used: 0 }
        process.nextTick(flush)
      }
      if (queued.used + 4 > queued.bytes.length) {
        const grown = Buffer.allocUnsafe(queued.bytes.length * 2)
        grown.set(queued.bytes.subarray(0, queued.used))
        queued.bytes = grown
      }
      const b = queued.bytes
      const at = queued.used
      b[at] = PUBACK
      b[at + 1] = 2
      b[at + 2] = messageId >> 8
      b[at + 3] = messageId & 0xff
      queued.used = at + 4
      return true
    },
  }
}
