import { toHex, utf8 } from '../../core/bytes.ts'
import { type SignedTx, txSigningMessage } from '../../core/transaction.ts'

/**
 * What the vector builders (*-vectors-lib.ts) share: field tables written out from the specification, the check
 * that a table concatenates to what core encodes, and the plumbing of a generated section of the docs.
 */

/** [field name, hex] in encoding order. */
export type Field = [string, string]

export const hx = toHex

export const uint = (v: number | bigint, bytes: number): string =>
  BigInt(v)
    .toString(16)
    .padStart(bytes * 2, '0')

/** A UTF-8 string behind a one-byte length. */
export const str8 = (name: string, s: string): Field[] => [
  [`${name}.length`, uint(utf8(s).length, 1)],
  [name, hx(utf8(s))],
]

/** Bytes behind a four-byte length. */
export const var32 = (name: string, b: Uint8Array): Field[] => [
  [`${name}.length`, uint(b.length, 4)],
  [name, hx(b)],
]

/** The hex of `encoded`, once the field table is checked to concatenate to it (`what` names the vector). */
export function checkedHex(what: string, fields: Field[], encoded: Uint8Array): string {
  const hex = hx(encoded)
  if (fields.map(([, h]) => h).join('') !== hex)
    throw new Error(`${what}: the field-by-field layout differs from what core encodes`)
  return hex
}

/** An encoding with its value, its field table and the values derived from it (hashes, signing messages). */
export interface LayoutVector {
  id: string
  title: string
  value: { [k: string]: unknown }
  fields: Field[]
  hex: string
  derived: { [k: string]: string }
}

/** layoutVector's arguments after `what`: a family binds its name once. */
export type LayoutVectorArgs = Parameters<typeof layoutVector> extends [string, ...infer R] ? R : never

/** A vector whose field table is checked against the encoding; `what` names the family in the error. */
export function layoutVector(
  what: string,
  id: string,
  title: string,
  value: { [k: string]: unknown },
  fields: Field[],
  encoded: Uint8Array,
  derived: { [k: string]: string } = {},
): LayoutVector {
  return { id, title, value, fields, hex: checkedHex(`${what} ${id}`, fields, encoded), derived }
}

/** A signed transaction's vector, its payload laid out field by field; `payload` is its value (default: hex). */
export function txLayoutVector(
  what: string,
  id: string,
  title: string,
  tx: SignedTx,
  payloadFields: Field[],
  payload: unknown = hx(tx.payload),
): LayoutVector {
  return layoutVector(
    what,
    id,
    title,
    { type: tx.type, chainId: tx.chainId, signer: hx(tx.signer), nonce: tx.nonce, payload },
    txFields(tx, payloadFields),
    tx.bytes,
    { signingMessage: hx(txSigningMessage(tx.body)), hash: hx(tx.hash) },
  )
}

/** A signed transaction's fields: the payload as one field, or laid out field by field under `payload.`. */
export function txFields(tx: SignedTx, payloadFields?: Field[]): Field[] {
  return [
    ['version', '01'],
    ['type', uint(tx.type, 1)],
    ...str8('chainId', tx.chainId),
    ['signer', hx(tx.signer)],
    ['nonce', uint(tx.nonce, 8)],
    ['payload.length', uint(tx.payload.length, 4)],
    ...(payloadFields === undefined
      ? ([['payload', hx(tx.payload)]] as Field[])
      : payloadFields.map(([n, h]): Field => [`payload.${n}`, h])),
    ['signature', hx(tx.signature)],
  ]
}

/** Hex in lines of 32 bytes, fenced as text (whitespace inside is not significant); `empty` stands for no bytes. */
export const hexBlock = (h: string, empty = ''): string =>
  `\`\`\`text\n${(h.match(/.{1,64}/g) ?? [empty]).join('\n')}\n\`\`\``

/** One encoding in a generated section: its heading, field table, encoding and derived values. */
export function renderFieldVector(
  heading: string,
  e: { fields: Field[]; hex: string; derived: { [k: string]: string } },
): string[] {
  const out = [heading, '', '| field | hex |', '| --- | --- |']
  for (const [f, h] of e.fields)
    out.push(`| ${f} | ${h.length > 64 ? `${h.slice(0, 64)}…` : h === '' ? '(empty)' : `\`${h}\``} |`)
  out.push('', 'Encoding:', '', hexBlock(e.hex), '')
  for (const [d, h] of Object.entries(e.derived))
    out.push(`${d}: \`${h.length > 128 ? `${h.slice(0, 64)}…` : h}\``, '')
  return out
}

/** The generated section between two markers as it stands in a document, or undefined when a marker is missing. */
export function extractSection(doc: string, begin: string, end: string): string | undefined {
  const a = doc.indexOf(begin)
  const b = doc.indexOf(end)
  if (a < 0 || b < a) return undefined
  return doc.slice(a, b + end.length)
}
