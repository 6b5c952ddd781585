/**
 * The storage layer's keys, all under `c:` (reserved in node/db/keys.ts). Blocks are keyed by their CIDv1 text, so
 * a raw leaf and a dag-pb node with the same bytes are two keys; uploads and pins by the root CID.
 */
export const SK = {
  prefix: 'c:',
  block: (cid: string): string => `c:b:${cid}`,
  blockPrefix: 'c:b:',
  /** A file added or imported, with its time: it expires unless pinned or referenced (lifecycle in docs/storage.md). */
  upload: (cid: string): string => `c:u:${cid}`,
  uploadPrefix: 'c:u:',
  pin: (cid: string): string => `c:p:${cid}`,
  pinPrefix: 'c:p:',
  /** Blocks of a CAR import not yet verified whole; removed on refusal, moved to `c:b:` on success. */
  staged: (importId: string, cid: string): string => `c:s:${importId}:${cid}`,
  stagedPrefix: (importId: string): string => `c:s:${importId}:`,
  stagingPrefix: 'c:s:',
  /** Counters (bytes, blocks) so /metrics does not scan; gc rewrites them exactly. */
  stats: 'c:m:stats',
} as const

const enc = new TextEncoder()
const dec = new TextDecoder()
/** Upload, pin and counter records are stored as JSON. */
export const json = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v))
export const unjson = <T>(b: Uint8Array): T => JSON.parse(dec.decode(b)) as T
