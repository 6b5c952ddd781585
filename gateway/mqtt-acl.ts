/**
 * Who may use which MQTT client id and topic on the embedded broker. Pure functions over an identity, so the
 * rules read as a table and are tested apart from aedes.
 *
 *   identity    client id                 publish                                subscribe
 *   gateway     exactly its username      nothing                                anything
 *               (stele-gw-<16 hex>)
 *   device      anything not stele-gw-*   stele/{its id}/{sensor}                stele/{its id}/..., stele/verified/...,
 *                                                                                stele/contracts/...
 *   republish   anything not stele-gw-*   stele/verified/..., stele/contracts/...  nothing
 *   anonymous   anything not stele-gw-*   anything but those two prefixes        anything
 *   (only with allowAnonymous)
 *
 * stele/verified/ carries readings already accepted and served to anyone by the HTTP API, so every client may
 * read it (stele/contracts/, contract events from results in blocks, likewise); raw readings of other devices are the gateway's alone. Anonymous clients are the operator's explicit
 * choice (--mqtt-allow-anonymous): no ACL for them, but never the gateway's id or the republisher's topics.
 * A topic with an empty level (`stele//t`) is refused for everyone: aedes 1.2 fails delivering it to a
 * persistent `+` subscriber and drops that subscriber's connection (the gateway's).
 */
import { toHex } from '../core/bytes.ts'
import { isValidId, LIMITS } from '../core/reading.ts'
import type { TopicPattern } from './connectors/mqtt/mqtt-topic.ts'
import type { MqttRole } from './mqtt-credentials.ts'

export const GATEWAY_CLIENT_PREFIX = 'stele-gw-'
export const VERIFIED_PREFIX = 'stele/verified/'
export const CONTRACTS_PREFIX = 'stele/contracts/'
const republished = (topic: string) => topic.startsWith(VERIFIED_PREFIX) || topic.startsWith(CONTRACTS_PREFIX)

/**
 * The gateway's MQTT client id and embedded-broker username: unique per gateway key, so no other client can
 * take over its persistent session by reusing a well-known id.
 */
export function gatewayClientId(publicKey: Uint8Array): string {
  return `${GATEWAY_CLIENT_PREFIX}${toHex(publicKey).slice(0, 16)}`
}

export type MqttIdentity = { role: MqttRole; username: string } | { role: 'anonymous' }

/** Why the client may not connect with this id, or undefined. */
export function clientIdRefusal(who: MqttIdentity, clientId: string): string | undefined {
  if (who.role === 'gateway')
    return clientId === who.username
      ? undefined
      : `gateway ${who.username} must connect with client id ${who.username}`
  if (clientId.startsWith(GATEWAY_CLIENT_PREFIX))
    return `client id ${clientId} is reserved for a gateway and needs its credentials`
  return undefined
}

/** Why this publish is refused, or undefined. `readings` is the pattern devices publish readings on. */
export function publishRefusal(who: MqttIdentity, topic: string, readings: TopicPattern): string | undefined {
  if (topic.split('/').some((level) => level === '')) return 'topic has an empty level (no device or sensor)'
  if (who.role === 'gateway') return 'a gateway does not publish'
  if (who.role === 'republish')
    return republished(topic)
      ? undefined
      : `the republisher publishes only under ${VERIFIED_PREFIX} and ${CONTRACTS_PREFIX}`
  if (republished(topic))
    return `only the republisher publishes under ${topic.startsWith(VERIFIED_PREFIX) ? VERIFIED_PREFIX : CONTRACTS_PREFIX}`
  // Anything else an anonymous client sends reaches the connector, which keeps what it cannot read as a dead letter.
  if (who.role === 'anonymous') return undefined
  const where = readings.match(topic)
  if (!where) return `topic does not match ${readings.pattern}`
  if (!isValidId(where.device, LIMITS.deviceIdBytes))
    return `device id must be 1-${LIMITS.deviceIdBytes} characters of A-Z a-z 0-9 . _ : -`
  if (who.role === 'device' && where.device !== who.username)
    return `device ${who.username} may publish only its own readings, not ${where.device}'s`
  return undefined
}

/** Whether this subscription filter is allowed. */
export function subscribeAllowed(who: MqttIdentity, filter: string): boolean {
  if (who.role === 'gateway' || who.role === 'anonymous') return true
  if (who.role === 'republish') return false
  const [root, second] = filter.split('/')
  return root === 'stele' && (second === 'verified' || second === 'contracts' || second === who.username)
}
