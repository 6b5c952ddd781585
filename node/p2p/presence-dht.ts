/**
 * Presence records in the chain's Kademlia DHT (docs/presence.md §10). A client's record lives under the key
 * `/stele-presence/<hex sha256(clientKey)>`; every node checks a record before it stores or returns it (it decodes,
 * it is for that key, the client signed it, it has not expired), and of several records the one with the latest
 * expiry wins, so a lookup returns the freshest registration. A peer is trusted for nothing: a looker checks the
 * signature again (selectPresence).
 */
import type { KadDHT, SelectFn, ValidateFn } from '@libp2p/kad-dht'
import { toHex, utf8 } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { type Logger, silentLogger } from '../../core/logger.ts'
import {
  decodeRegistration,
  presenceDhtKey,
  type SignedRegistration,
  verifyRegistration,
} from '../../core/presence/registration.ts'
import type { Timers } from '../../core/timers.ts'
import type { Announcer } from '../presence/announcer.ts'

/** The DHT namespace of presence records: kad-dht picks a record's validator and selector by it. */
export const PRESENCE_NAMESPACE = 'stele-presence'

/** The DHT key of the records under presenceDhtKey (a sha256). */
export const presenceRecordKey = (dhtKey: Uint8Array): Uint8Array =>
  utf8(`/${PRESENCE_NAMESPACE}/${toHex(dhtKey)}`)

function checkedRecord(key: Uint8Array, value: Uint8Array, now: number): SignedRegistration {
  const parts = new TextDecoder().decode(key).split('/')
  const hash = parts.length === 3 && parts[1] === PRESENCE_NAMESPACE ? parts[2]! : ''
  let r: SignedRegistration
  try {
    r = decodeRegistration(value)
  } catch (cause) {
    throw new SteleError('STELE_BAD_ENCODING', 'presence record: does not decode', { cause })
  }
  if (hash !== toHex(presenceDhtKey(r.clientKey)))
    throw new SteleError('STELE_BAD_REQUEST', 'presence record: not for this key')
  if (r.expiry <= now) throw new SteleError('STELE_BAD_REQUEST', 'presence record: expired')
  if (!verifyRegistration(r)) throw new SteleError('STELE_BAD_SIGNATURE', 'presence record: bad signature')
  return r
}

/** The validator and selector every node's DHT runs for presence records (P2pHostInit.dhtRecords). */
export function presenceDhtRecords(timers: Pick<Timers, 'now'>): {
  validators: Record<string, ValidateFn>
  selectors: Record<string, SelectFn>
} {
  return {
    validators: {
      [PRESENCE_NAMESPACE]: (key, value) => {
        checkedRecord(key, value, timers.now())
      },
    },
    selectors: {
      [PRESENCE_NAMESPACE]: (key, records) => {
        let best = 0
        let expiry = -1
        records.forEach((value, i) => {
          try {
            const r = checkedRecord(key, value, timers.now())
            if (r.expiry > expiry) [best, expiry] = [i, r.expiry]
          } catch {
            // an invalid record never wins
          }
        })
        return best
      },
    },
  }
}

export interface DhtAnnouncerInit {
  /**
   * How long a put or get may take (default 4 s: under a client's 5 s wait for REGISTERED, which the presence node
   * sends after the put; a put cut short has still stored the record here and at the peers it reached).
   */
  timeoutMs?: number
  logger?: Logger
}

/**
 * The Announcer on the DHT. A key holds one record, the freshest: a client with several registrations is found at
 * the one renewed last. Withdraw cannot delete a record from other peers; it lapses at its expiry and a sender that
 * reaches the presence node meanwhile is told the client is not there (NOT_FOUND).
 */
export class DhtAnnouncer implements Announcer {
  private readonly log: Logger

  constructor(
    private readonly dht: Pick<KadDHT, 'get' | 'put'>,
    private readonly init: DhtAnnouncerInit = {},
  ) {
    this.log = init.logger ?? silentLogger
  }

  async announce(key: Uint8Array, record: Uint8Array): Promise<void> {
    const signal = AbortSignal.timeout(this.init.timeoutMs ?? 4000)
    try {
      for await (const _ of this.dht.put(presenceRecordKey(key), record, { signal })) {
        // the put runs as its events are taken
      }
    } catch (err) {
      if (!signal.aborted) throw err
      this.log.debug({ key: toHex(key) }, 'presence: DHT put cut short; stored here and at the peers reached')
    }
  }

  async withdraw(): Promise<void> {}

  async lookup(key: Uint8Array): Promise<Uint8Array[]> {
    const signal = AbortSignal.timeout(this.init.timeoutMs ?? 4000)
    const found: Uint8Array[] = []
    try {
      for await (const e of this.dht.get(presenceRecordKey(key), { signal }))
        if (e.name === 'VALUE') found.push(new Uint8Array(e.value))
    } catch (err) {
      // Not found, or a correction to a stale peer failed after the best record was chosen.
      this.log.debug({ err, key: toHex(key) }, 'presence: DHT lookup ended with an error')
    }
    return found
  }
}
