import { readFileSync } from 'node:fs'

/**
 * Anonymous and file-backed RSS, MB (Linux; empty elsewhere): LevelDB reads its table files through mmap, so the
 * pages of the tables it has open count in RSS as file pages (clean, the kernel's to reclaim), apart from the
 * process's own memory.
 */
export function rssSplit(): { rssAnon?: number; rssFile?: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const mb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024
    return { rssAnon: mb('RssAnon'), rssFile: mb('RssFile') }
  } catch {
    return {}
  }
}
