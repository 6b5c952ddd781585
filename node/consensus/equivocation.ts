/**
 * Equivocation: one producer signing two different blocks at one height. The evidence is the two signed headers;
 * anyone holding only the producer set can check it, so it can be recorded on chain and shown (phase 2).
 *
 * Encoding (docs/network.md §Equivocation evidence): u8 version (1) | var32 header A | 64-byte signature A |
 * var32 header B | 64-byte signature B, with A the header whose hash is lower, so one pair has one encoding.
 */
import { decodeBlockHeader, verifyBlockSignature } from '../../core/block.ts'
import { ByteReader, ByteWriter, equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { sha256 } from '../../core/hash.ts'
import { compareTips } from './fork-choice.ts'

export const EVIDENCE_VERSION = 1
const MAX_HEADER = 512

export interface SignedHeaderBytes {
  header: Uint8Array
  signature: Uint8Array
}

export interface EquivocationEvidence {
  a: SignedHeaderBytes
  b: SignedHeaderBytes
}

export type EvidenceVerdict =
  | { ok: true; producer: string; height: number; chainId: string }
  | { ok: false; reason: string }

const lowerFirst = (x: SignedHeaderBytes, y: SignedHeaderBytes): EquivocationEvidence =>
  compareTips({ totalWeight: 0, hash: sha256(x.header) }, { totalWeight: 0, hash: sha256(y.header) }) <= 0
    ? { a: x, b: y }
    : { a: y, b: x }

/** Evidence when `x` and `y` are two different headers of one producer at one height and chain, else undefined. */
export function detectEquivocation(
  x: SignedHeaderBytes,
  y: SignedHeaderBytes,
): EquivocationEvidence | undefined {
  if (equalBytes(x.header, y.header)) return undefined
  const hx = decodeBlockHeader(x.header)
  const hy = decodeBlockHeader(y.header)
  if (hx.chainId !== hy.chainId || hx.height !== hy.height || !equalBytes(hx.producer, hy.producer))
    return undefined
  return lowerFirst(x, y)
}

/**
 * Whether the evidence proves equivocation by a producer of `producers` (hex keys): two distinct headers, same
 * chain, height and producer, both signatures valid. Never throws for bad evidence: it says why not.
 */
export function verifyEquivocation(e: EquivocationEvidence, producers: readonly string[]): EvidenceVerdict {
  let ha: ReturnType<typeof decodeBlockHeader>
  let hb: ReturnType<typeof decodeBlockHeader>
  try {
    ha = decodeBlockHeader(e.a.header)
    hb = decodeBlockHeader(e.b.header)
  } catch (err) {
    return { ok: false, reason: `a header does not decode: ${(err as Error).message}` }
  }
  if (equalBytes(e.a.header, e.b.header)) return { ok: false, reason: 'the two headers are the same block' }
  if (ha.chainId !== hb.chainId) return { ok: false, reason: 'the headers are of different chains' }
  if (ha.height !== hb.height) return { ok: false, reason: 'the headers are at different heights' }
  if (!equalBytes(ha.producer, hb.producer))
    return { ok: false, reason: 'the headers name different producers' }
  const producer = toHex(ha.producer)
  if (!producers.includes(producer)) return { ok: false, reason: `${producer} is no producer` }
  if (
    !verifyBlockSignature(e.a.header, e.a.signature, ha.producer) ||
    !verifyBlockSignature(e.b.header, e.b.signature, hb.producer)
  )
    return { ok: false, reason: 'a signature does not verify' }
  return { ok: true, producer, height: ha.height, chainId: ha.chainId }
}

export function encodeEvidence(e: EquivocationEvidence): Uint8Array {
  const { a, b } = lowerFirst(e.a, e.b)
  for (const s of [a, b]) {
    if (s.signature.length !== 64)
      throw new SteleError('STELE_BAD_ENCODING', 'evidence: signature must be 64 bytes')
    if (s.header.length > MAX_HEADER) throw new SteleError('STELE_BAD_ENCODING', 'evidence: header too long')
  }
  return new ByteWriter(512)
    .u8(EVIDENCE_VERSION)
    .var32(a.header)
    .bytes(a.signature)
    .var32(b.header)
    .bytes(b.signature)
    .finish()
}

export function decodeEvidence(bytes: Uint8Array): EquivocationEvidence {
  const rd = new ByteReader(bytes, 'equivocation evidence')
  const version = rd.u8('version')
  if (version !== EVIDENCE_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `equivocation evidence: unsupported version ${version}`)
  const a = {
    header: new Uint8Array(rd.var32('header a', MAX_HEADER)),
    signature: new Uint8Array(rd.bytes(64, 'signature a')),
  }
  const b = {
    header: new Uint8Array(rd.var32('header b', MAX_HEADER)),
    signature: new Uint8Array(rd.bytes(64, 'signature b')),
  }
  rd.end()
  const e = { a, b }
  // Canonical order only: a second encoding of the same pair would record the same offence twice.
  if (!equalBytes(encodeEvidence(e), bytes))
    throw new SteleError('STELE_BAD_ENCODING', 'equivocation evidence: headers not in hash order')
  return e
}
