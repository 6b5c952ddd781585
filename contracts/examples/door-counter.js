// Door-open counter: a `door` sensor reads 1 when open and 0 when closed; every closed-to-open change counts,
// in total and per UTC day (the last 31 days kept). `opened` is emitted on each opening; a door left open for
// LONG_OPEN_MS emits `left-open` once.

const SENSOR = 'door'
const KEEP_DAYS = 31
const LONG_OPEN_MS = 5 * 60 * 1000

export function onReading(reading, ctx) {
  if (reading.sensor !== SENSOR) return null
  const t = typeof reading.time === 'number' ? reading.time : ctx.blockTime
  const open = reading.value >= 0.5
  const key = `door:${reading.device}`
  const s = ctx.state.get(key) ?? { open: false, openedAt: null, warned: false, total: 0, days: {} }
  if (open && !s.open) {
    const day = new Date(t).toISOString().slice(0, 10)
    s.total += 1
    s.days[day] = (s.days[day] ?? 0) + 1
    const days = Object.keys(s.days).sort()
    while (days.length > KEEP_DAYS) delete s.days[days.shift()]
    s.openedAt = t
    s.warned = false
    ctx.emit('opened', { device: reading.device, total: s.total, today: s.days[day], at: t })
  } else if (open && !s.warned && t - s.openedAt >= LONG_OPEN_MS) {
    s.warned = true
    ctx.emit('left-open', { device: reading.device, since: s.openedAt, at: t })
  } else if (!open) {
    s.openedAt = null
    s.warned = false
  }
  s.open = open
  ctx.state.set(key, s)
  return s.total
}

/** Callable: `{ device }` -> { total, days } of that door. */
export function count(args, ctx) {
  const s = ctx.state.get(`door:${args.device}`)
  return s ? { total: s.total, days: s.days } : { total: 0, days: {} }
}
