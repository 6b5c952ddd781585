// Flat-line detector: a sensor whose readings stay within EPSILON of each other for MIN_READINGS readings over
// at least MIN_SPAN_MS is likely stuck; `flatline` is emitted once, and `recovered` when it moves again.

const EPSILON = 0.001
const MIN_READINGS = 10
const MIN_SPAN_MS = 30 * 60 * 1000

export function onReading(reading, ctx) {
  if (typeof reading.value !== 'number') return null
  const t = typeof reading.time === 'number' ? reading.time : ctx.blockTime
  const key = `flat:${reading.device}/${reading.sensor}`
  const s = ctx.state.get(key) ?? {
    min: reading.value,
    max: reading.value,
    count: 0,
    since: t,
    flagged: false,
  }
  const min = Math.min(s.min, reading.value)
  const max = Math.max(s.max, reading.value)
  if (max - min > EPSILON) {
    if (s.flagged)
      ctx.emit('recovered', { device: reading.device, sensor: reading.sensor, value: reading.value, at: t })
    ctx.state.set(key, { min: reading.value, max: reading.value, count: 1, since: t, flagged: false })
    return false
  }
  s.min = min
  s.max = max
  s.count += 1
  if (!s.flagged && s.count >= MIN_READINGS && t - s.since >= MIN_SPAN_MS) {
    s.flagged = true
    ctx.emit('flatline', {
      device: reading.device,
      sensor: reading.sensor,
      value: reading.value,
      readings: s.count,
      since: s.since,
      at: t,
    })
  }
  ctx.state.set(key, s)
  return s.flagged
}
