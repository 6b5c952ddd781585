/**
 * The node's key space. Prefixes are one letter and a colon; numbers are fixed-width hex so byte order is numeric
 * order. Series chunk keys end in (time of the chunk's first record, gateway, its record seq), so a device's chunks
 * iterate in time order and no two share a key.
 */

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0')

export const K = {
  tip: 'm:tip',
  genesis: 'm:genesis',
  block: (height: number): string => `b:${hex(height, 12)}`,
  blockPrefix: 'b:',
  tx: (hash: string): string => `t:${hash}`,
  pending: (arrival: number): string => `p:${hex(arrival, 12)}`,
  pendingPrefix: 'p:',
  object: (id: string): string => `o:${id}`,
  /**
   * Reading ids: `i:` + the first 16 hex digits of the id + the acceptance number of its batch (12) + its leaf index
   * (4), with an empty value; the `a:` entry of that number names the batch. 34 bytes a reading instead of 102 for
   * the whole id and its location; a lookup checks the full id against the record (a shared prefix only adds a
   * candidate, it cannot hide a reading).
   */
  reading: (id: string, acceptSeq: number, leafIndex: number): string =>
    `i:${id.slice(0, 16)}${hex(acceptSeq, 12)}${hex(leafIndex, 4)}`,
  readingPrefix: (id: string): string => `i:${id.slice(0, 16)}`,
  /**
   * Reading ids since the `i:` keys above (which data folders written before keep and lookups still read): runs of
   * many batches' ids, one key per bucket (the id's first 3 hex digits) per run, ending in the acceptance number the
   * run covers through. The value is 16-byte entries: the id's first 8 bytes, acceptance number (6), leaf (2).
   */
  readingRun: (bucket: string, through: number): string => `n:${bucket}${hex(through, 12)}`,
  readingRunPrefix: (id: string): string => `n:${id.slice(0, 3)}`,
  /** Acceptance number through which every batch's ids are in `i:` keys or runs; later ones are rebuilt at open. */
  readingRunsThrough: 'm:idruns',
  gateway: (key: string): string => `g:${key}`,
  gatewayPrefix: 'g:',
  gatewayBatch: (key: string, seq: number): string => `gb:${key}:${hex(seq, 12)}`,
  device: (id: string): string => `v:${id}`,
  devicePrefix: 'v:',
  /** Chunks of all readings of a device, by time. */
  byDevice: (device: string): string => `d:${device}\u0000`,
  /** The order suffix: HLC ms, gateway key prefix, record seq. */
  suffix: (time: number, gatewayHex: string, seq: number): string =>
    `${hex(time, 12)}${gatewayHex.slice(0, 8)}${hex(seq, 13)}`,
  /** Longest time span of any stored chunk: how far before `from` a range query must start. */
  maxChunkSpan: 'm:chunkspan',
  timeBound: (time: number): string => hex(Math.max(0, Math.min(time, 0xffff_ffff_ffff)), 12),
  /**
   * Acceptance order: one key per accepted batch, numbered from 1 in the order the node accepted them; the value is
   * the batch's tx hash (32 bytes) then its records root (32 bytes, the `o:` object). Live streams resume from it.
   */
  accepted: (seq: number): string => `a:${hex(seq, 12)}`,
  acceptedPrefix: 'a:',
  /** Rollup buckets of one device+sensor at one resolution (`m`, `h`, `d`); the key ends in timeBound(start). */
  /** The storage layer's blocks, uploads, pins (node/storage/keys.ts splits `c:`). */
  storage: 'c:',
  rollup: (device: string, sensor: string, resolution: string): string =>
    `r:${device}\u0000${sensor}\u0000${resolution}:`,
} as const

/** A key just after every key that starts with `prefix`. */
export const prefixEnd = (prefix: string): string => `${prefix}\uffff`
