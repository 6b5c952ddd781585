/**
 * MQTT topic patterns like `stele/{device}/{sensor}`: which topic to subscribe to (placeholders become `+`)
 * and how to read the device and sensor back out of a topic a message arrived on.
 */
import { SteleError } from '../../../core/errors.ts'

export const DEFAULT_TOPIC_PATTERN = 'stele/{device}/{sensor}'

export interface TopicPattern {
  pattern: string
  /** The MQTT subscription filter, e.g. `stele/+/+`. */
  subscription: string
  /** Device and sensor named by `topic`, or undefined when it does not fit the pattern. */
  match(topic: string): TopicMatch | undefined
}

type Segment = { kind: 'literal'; text: string } | { kind: 'device' | 'sensor' | 'any' }

/**
 * Segments are literals, `{device}` (required), `{sensor}` (optional: without it each reading must name its
 * sensor in the payload) or `+`. Multi-level `#` is refused: it would make the device's position ambiguous.
 */
export function parseTopicPattern(pattern: string): TopicPattern {
  const segments: Segment[] = pattern.split('/').map((s) => {
    if (s === '{device}') return { kind: 'device' }
    if (s === '{sensor}') return { kind: 'sensor' }
    if (s === '+') return { kind: 'any' }
    if (s.includes('#') || s.includes('+') || s.includes('{') || s.includes('}'))
      throw new SteleError(
        'STELE_CONFIG',
        `topic pattern ${JSON.stringify(pattern)}: segment ${JSON.stringify(s)} must be a literal, {device}, {sensor} or +`,
      )
    return { kind: 'literal', text: s }
  })
  const count = (k: Segment['kind']) => segments.filter((s) => s.kind === k).length
  if (count('device') !== 1 || count('sensor') > 1)
    throw new SteleError(
      'STELE_CONFIG',
      `topic pattern ${JSON.stringify(pattern)} must contain {device} once and {sensor} at most once`,
    )
  const subscription = segments.map((s) => (s.kind === 'literal' ? s.text : '+')).join('/')
  // A fleet publishes on the same topics over and over: each one is read once, and every later message of it
  // gets the same device and sensor strings (no split, no substrings; their hashes already computed for the maps
  // downstream). Bounded in count (a gateway seeing more topics starts over) and in length (devices choose topics).
  const known = new Map<string, TopicMatch | null>()
  return {
    pattern,
    subscription,
    match(topic) {
      if (topic.length > TOPIC_CHARS_KEPT) return read(segments, topic) ?? undefined
      let m = known.get(topic)
      if (m === undefined) {
        if (known.size >= TOPICS_KEPT) known.clear()
        m = read(segments, topic)
        known.set(topic, m)
      }
      return m ?? undefined
    },
  }
}

const TOPICS_KEPT = 16_384
const TOPIC_CHARS_KEPT = 256

type TopicMatch = { readonly device: string; readonly sensor: string | undefined }

function read(segments: Segment[], topic: string): TopicMatch | null {
  const parts = topic.split('/')
  if (parts.length !== segments.length) return null
  let device: string | undefined
  let sensor: string | undefined
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!
    const part = parts[i]!
    if (seg.kind === 'literal' && seg.text !== part) return null
    if (seg.kind === 'device') device = part
    if (seg.kind === 'sensor') sensor = part
  }
  return device === undefined ? null : Object.freeze({ device, sensor })
}
