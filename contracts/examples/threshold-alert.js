// Threshold alert with hysteresis and a minimum duration: a freezer above -15 °C for 10 minutes raises `alert`;
// it clears (`clear`) only once the value is back at or below -17 °C, so a value hovering at the line does not
// flap. One alarm per device and sensor. Plain JavaScript for the Stele sandbox: no imports, no I/O.

const HIGH = -15 // alarm when above this
const CLEAR = -17 // clear when at or below this (the hysteresis band is CLEAR..HIGH)
const MIN_DURATION_MS = 10 * 60 * 1000
const SENSOR = 'temperature'

function keyOf(r) {
  return `alarm:${r.device}/${r.sensor}`
}

export function onReading(reading, ctx) {
  if (reading.sensor !== SENSOR || typeof reading.value !== 'number') return null
  const t = typeof reading.time === 'number' ? reading.time : ctx.blockTime
  const key = keyOf(reading)
  const a = ctx.state.get(key) ?? { since: null, alerting: false, peak: null }
  if (reading.value > HIGH) {
    if (a.since === null) a.since = t
    a.peak = a.peak === null ? reading.value : Math.max(a.peak, reading.value)
    if (!a.alerting && t - a.since >= MIN_DURATION_MS) {
      a.alerting = true
      ctx.emit('alert', {
        device: reading.device,
        sensor: reading.sensor,
        value: reading.value,
        peak: a.peak,
        since: a.since,
        at: t,
      })
    }
  } else if (reading.value <= CLEAR) {
    if (a.alerting)
      ctx.emit('clear', { device: reading.device, sensor: reading.sensor, value: reading.value, at: t })
    a.since = null
    a.alerting = false
    a.peak = null
  } else if (!a.alerting) {
    // In the band and not alarming: the run of high readings is broken.
    a.since = null
    a.peak = null
  }
  ctx.state.set(key, a)
  return a.alerting
}

/** Callable: the alarms now raised, as [{ key, since, peak }]. */
export function alarms(_args, ctx) {
  const out = []
  for (const key of ctx.state.keys()) {
    const a = ctx.state.get(key)
    if (key.startsWith('alarm:') && a.alerting) out.push({ key: key.slice(6), since: a.since, peak: a.peak })
  }
  return out
}
