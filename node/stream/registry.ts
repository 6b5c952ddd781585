import { type HubNode, type HubOptions, StreamHub } from './hub.ts'

const hubs = new WeakMap<HubNode, { hub: StreamHub; users: number }>()

/**
 * The one stream hub of a node, created by its first user (the HTTP plugin, the MQTT republisher, a test that
 * wants other limits: options count only there) and closed when its last user releases it. One hub per node keeps
 * one cursor and one encoding per event however many parts listen.
 */
export function acquireHub(node: HubNode, opts?: HubOptions): StreamHub {
  const entry = hubs.get(node)
  if (entry) {
    entry.users++
    return entry.hub
  }
  const hub = new StreamHub(node, opts)
  hubs.set(node, { hub, users: 1 })
  return hub
}

export function releaseHub(node: HubNode): void {
  const entry = hubs.get(node)
  if (!entry || --entry.users > 0) return
  hubs.delete(node)
  entry.hub.close()
}
