// Hourly mean into state: for every device and sensor, the running sum and count of the current UTC hour; when
// a reading of a later hour arrives, the closed hour's mean is kept (the last 24 per sensor) and emitted as `hour`.

const KEEP_HOURS = 24
const HOUR_MS = 60 * 60 * 1000

export function onReading(reading, ctx) {
  if (typeof reading.value !== 'number') return null
  const t = typeof reading.time === 'number' ? reading.time : ctx.blockTime
  const hour = Math.floor(t / HOUR_MS) * HOUR_MS
  const key = `mean:${reading.device}/${reading.sensor}`
  const s = ctx.state.get(key) ?? { hour, sum: 0, count: 0, hours: [] }
  if (hour > s.hour && s.count > 0) {
    const mean = Math.round((s.sum / s.count) * 1000) / 1000
    const closed = { hour: new Date(s.hour).toISOString(), mean, count: s.count }
    s.hours.push(closed)
    if (s.hours.length > KEEP_HOURS) s.hours.shift()
    ctx.emit('hour', { device: reading.device, sensor: reading.sensor, ...closed })
    s.hour = hour
    s.sum = 0
    s.count = 0
  }
  if (hour < s.hour) return null // late reading of a closed hour: not counted
  s.sum += reading.value
  s.count += 1
  ctx.state.set(key, s)
  return s.count
}

/** Callable: the kept hourly means of one sensor, `{ device, sensor }`. */
export function means(args, ctx) {
  const s = ctx.state.get(`mean:${args.device}/${args.sensor}`)
  return s ? s.hours : []
}
