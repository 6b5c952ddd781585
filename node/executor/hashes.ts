import { createHash } from 'node:crypto'
import { canonicalJson, type Json } from './canonical-json.ts'

const SEPARATOR = new Uint8Array(1)

/**
 * sha256(utf8(tag) || 0x00 || utf8(canonicalJson(value))), as lowercase hex. The tag keeps a state, an event
 * list and an input set that happen to share a JSON text from sharing a hash (docs/contracts.md §6).
 */
export function taggedJsonHash(tag: string, value: unknown): string {
  return taggedTextHash(tag, canonicalJson(value, tag))
}

/**
 * taggedJsonHash of a value whose canonical JSON text is already at hand. The text goes to the hash as a string
 * (encoded to UTF-8 natively) rather than copied through a buffer of its own: a block's inputs are a megabyte.
 */
export function taggedTextHash(tag: string, canonicalText: string): string {
  return createHash('sha256').update(tag).update(SEPARATOR).update(canonicalText).digest('hex')
}

export const STATE_TAG = 'stele/contract-state/v1'
export const EVENTS_TAG = 'stele/contract-events/v1'
export const INPUTS_TAG = 'stele/contract-inputs/v1'

/** A contract's key-value state: the map its root commits to. */
export type ContractState = { [key: string]: Json }

/** An event a contract emitted, in emission order. */
export interface ContractEvent {
  name: string
  data: Json
}

/** The root of a contract's state: the tagged hash of the state object (keys sorted by the encoding). */
export function stateRoot(state: ContractState): string {
  return taggedJsonHash(STATE_TAG, state)
}

/** The hash of the events of one run, in emission order, as an array of { name, data }. */
export function eventsHash(events: readonly ContractEvent[]): string {
  return taggedJsonHash(
    EVENTS_TAG,
    events.map((e) => ({ name: e.name, data: e.data })),
  )
}
