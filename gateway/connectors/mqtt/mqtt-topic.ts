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
  match(topic: string): { device: string; sensor: string | undefined } | undefined
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
  return {
    pattern,
    subscription,
    match(topic) {
      const parts = topic.split('/')
      if (parts.length !== segments.length) return undefined
      let device: string | undefined
      let sensor: string | undefined
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i]!
        const part = parts[i]!
        if (seg.kind === 'literal' && seg.text !== part) return undefined
        if (seg.kind === 'device') device = part
        if (seg.kind === 'sensor') sensor = part
      }
      return device === undefined ? undefined : { device, sensor }
    },
  }
}
