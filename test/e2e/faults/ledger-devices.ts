import mqtt, { type MqttClient } from 'mqtt'

/**
 * Devices that remember exactly which of their messages the broker acknowledged: the ground truth the invariant
 * checker compares the node against. Each publishes `{value, seq}` at QoS 1 to `stele/{device}/v` with a bounded
 * number in flight, on a persistent session so unacknowledged messages are resent after any reconnect.
 */
export class LedgerDevices {
  readonly acked = new Map<string, Set<number>>()
  readonly ids: string[]
  private clients: MqttClient[] = []
  private sent = 0
  private stopped = false
  private readonly finished: Promise<void>[] = []

  constructor(
    private readonly url: string,
    count: number,
    private readonly perDevice: number,
    private readonly rateHz: number,
    prefix = 'fault-dev',
  ) {
    this.ids = Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`)
    for (const id of this.ids) this.acked.set(id, new Set())
  }

  start(): void {
    for (const id of this.ids) {
      const client = mqtt.connect(this.url, {
        clientId: id,
        clean: false,
        reconnectPeriod: 100,
        connectTimeout: 2000,
      })
      this.clients.push(client)
      this.finished.push(this.run(id, client))
    }
  }

  private async run(id: string, client: MqttClient): Promise<void> {
    const acked = this.acked.get(id)!
    const inflight = new Set<Promise<void>>()
    const started = performance.now()
    for (let seq = 1; seq <= this.perDevice && !this.stopped; seq++) {
      // Pace to rateHz from the start (not from the last send), so a pause is followed by a catch-up burst.
      const due = started + (seq * 1000) / this.rateHz
      const wait = due - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      while (inflight.size >= 20) await Promise.race(inflight)
      this.sent++
      const p: Promise<void> = client
        .publishAsync(`stele/${id}/v`, JSON.stringify({ value: seq / 10, seq }), { qos: 1 })
        .then(() => void acked.add(seq))
        .catch(() => undefined)
        .finally(() => inflight.delete(p))
      inflight.add(p)
    }
    await Promise.all(inflight)
  }

  /** Resolves when every device has published all its messages and each was acknowledged (or stop() was called). */
  async done(): Promise<void> {
    await Promise.all(this.finished)
  }

  get stats() {
    let acked = 0
    for (const s of this.acked.values()) acked += s.size
    return { sent: this.sent, acked }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await Promise.all(this.clients.map((c) => c.endAsync(true)))
  }
}
