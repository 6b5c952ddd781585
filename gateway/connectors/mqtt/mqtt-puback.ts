/**
 * Sending a PUBACK ourselves, after mqtt.js was told to move on without one (see mqtt-connector.ts).
 *
 * Only on the connection the message came in on: after a reconnect the packet id may name another message,
 * and the broker resends ours anyway (the batcher drops the repeat). One sealed batch releases many messages
 * in the same tick, so the socket is corked until the next tick and their PUBACKs leave in one write.
 */
import type { MqttClient } from 'mqtt'

type SendPacket = (packet: { cmd: 'puback'; messageId: number }, cb: () => void) => void
type Corkable = { cork?: () => void; uncork?: () => void }

export interface PubackSender {
  /** True when sent; false when the connection it belongs to is gone. */
  send(client: MqttClient, stream: unknown, messageId: number): boolean
}

export function createPubackSender(): PubackSender {
  let corked: unknown = null
  return {
    send(client, stream, messageId) {
      if (client.stream !== stream || !client.connected) return false
      const s = client.stream as Corkable
      if (corked !== s && s.cork && s.uncork) {
        s.cork()
        corked = s
        process.nextTick(() => {
          corked = null
          s.uncork?.()
        })
      }
      // mqtt.js has no public call for this; _sendPacket is what its own handlers use to send a PUBACK.
      const sendPacket = (client as unknown as { _sendPacket: SendPacket })._sendPacket.bind(client)
      sendPacket({ cmd: 'puback', messageId }, () => undefined)
      return true
    },
  }
}
