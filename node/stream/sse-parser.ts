/** One Server-Sent Event as a client sees it (WHATWG HTML, "event stream interpretation"). */
export interface SseMessage {
  id: string | undefined
  event: string
  data: string
}

/**
 * Incremental SSE parser for clients of /v1/stream/sse (the `stele watch` command, tests, benchmarks): feed it text
 * as it arrives, get whole events back. Lines end in LF, CRLF or CR; `:` lines are comments.
 */
export class SseParser {
  private rest = ''
  private skipLf = false
  private data: string[] = []
  private event = ''
  /** The last event id seen, kept across events as EventSource does: the value to send as Last-Event-ID. */
  lastId: string | undefined

  push(chunk: string): SseMessage[] {
    const out: SseMessage[] = []
    if (chunk === '') return []
    // A CR ends a line at once; an LF right after it (the rest of a CRLF cut by a chunk boundary) is skipped.
    const text = this.rest + (this.skipLf && chunk.startsWith('\n') ? chunk.slice(1) : chunk)
    this.skipLf = text.endsWith('\r')
    const lines = text.split(/\r\n|\r|\n/)
    this.rest = lines.pop() ?? ''
    for (const line of lines) {
      if (line === '') {
        if (this.data.length > 0)
          out.push({ id: this.lastId, event: this.event || 'message', data: this.data.join('\n') })
        this.data = []
        this.event = ''
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      let value = colon < 0 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'data') this.data.push(value)
      else if (field === 'event') this.event = value
      else if (field === 'id' && !value.includes('\u0000')) this.lastId = value
    }
    return out
  }
}
