import { decodeBlockHeader, encodeBlockHeader, verifyBlockSignature } from '../../core/block.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { genesisFromJson, genesisHash } from '../../core/genesis.ts'
import { sha256 } from '../../core/hash.ts'
import { leafHash, merkleRoot, verifyInclusion } from '../../core/merkle.ts'
import { producerChecks } from '../../core/producer-proof.ts'
import { decodeTx, verifyTxSignature } from '../../core/transaction.ts'
import type { BlockView, GenesisJson, TxView } from './api.ts'

export interface Check {
  name: string
  ok: boolean
  message: string
}

/**
 * Runs checks in order and stops at the first failure, as core/verify-proof.ts does. A step returns its message, or
 * the checks it ran itself (core's, under their own names).
 */
function runChecks(steps: [string, () => string | Check[]][]): Check[] {
  const out: Check[] = []
  for (const [name, step] of steps) {
    try {
      const r = step()
      if (typeof r === 'string') out.push({ name, ok: true, message: r })
      else {
        out.push(...r)
        if (r.some((c) => !c.ok)) break
      }
    } catch (e) {
      out.push({ name, ok: false, message: (e as Error).message })
      break
    }
  }
  return out
}

function must(cond: boolean, message: string): void {
  if (!cond) throw new Error(message)
}

/**
 * Checks a block as the node shows it, in the browser with core's code: the header re-encoded from its fields hashes
 * to the block hash, the transaction list gives the header's root, the producer is in the trusted genesis, and its
 * Ed25519 signature verifies. `prevHash` is checked against the previous block's hash when it is given (or genesis).
 */
export function checkBlock(b: BlockView, genesis: GenesisJson, prevHash?: string): Check[] {
  let header: Uint8Array
  return runChecks([
    [
      'block.hash',
      () => {
        header = encodeBlockHeader({
          chainId: genesis.chainId,
          height: b.height,
          prevHash: fromHex(b.prevHash, 'prevHash', 32),
          time: b.time,
          txRoot: fromHex(b.txRoot, 'txRoot', 32),
          txCount: b.txCount,
          producer: fromHex(b.producer, 'producer', 32),
          ...(b.stateRoot ? { stateRoot: fromHex(b.stateRoot, 'stateRoot', 32) } : {}),
        })
        must(toHex(sha256(header)) === b.hash, 'the header fields do not hash to the block hash')
        return `header hashes to ${b.hash.slice(0, 16)}…`
      },
    ],
    [
      'block.link',
      () => {
        const want = b.height === 1 ? toHex(genesisHash(genesisFromJson(genesis))) : prevHash
        if (want === undefined) return 'previous block not fetched'
        must(
          want === b.prevHash,
          `prevHash is not the hash of ${b.height === 1 ? 'genesis' : `block ${b.height - 1}`}`,
        )
        return b.height === 1 ? 'builds on genesis' : `builds on block ${b.height - 1}`
      },
    ],
    [
      'tx.root',
      () => {
        must(
          b.transactions.length === b.txCount,
          `${b.transactions.length} transactions listed, header says ${b.txCount}`,
        )
        const root = merkleRoot(b.transactions.map((t) => leafHash(fromHex(t, 'transaction', 32))))
        must(toHex(root) === b.txRoot, 'the transaction hashes do not give the header transaction root')
        return `${b.txCount} transaction(s) give the root`
      },
    ],
    [
      'block.producer',
      () =>
        producerChecks(
          genesisFromJson(genesis),
          b.registrations,
          fromHex(b.producer, 'producer', 32),
          b.height,
        ),
    ],
    [
      'block.signature',
      () => {
        must(
          verifyBlockSignature(
            header,
            fromHex(b.signature, 'signature', 64),
            fromHex(b.producer, 'producer', 32),
          ),
          'the producer signature over the header does not verify',
        )
        return 'Ed25519 signature by the producer verifies'
      },
    ],
  ])
}

/** A transaction's bytes decode to the fields shown, hash to its hash, and carry a valid signature by its signer. */
export function checkTx(t: TxView): Check[] {
  let tx: ReturnType<typeof decodeTx>
  return runChecks([
    [
      'tx.decode',
      () => {
        tx = decodeTx(Uint8Array.from(atob(t.bytes), (c) => c.charCodeAt(0)))
        must(toHex(tx.signer) === t.signer && tx.nonce === t.nonce, 'the bytes name another signer or nonce')
        return `type ${tx.type}, nonce ${tx.nonce}`
      },
    ],
    [
      'tx.hash',
      () => {
        must(toHex(tx.hash) === t.hash, 'the bytes do not hash to the transaction hash')
        return 'bytes hash to the transaction hash'
      },
    ],
    [
      'tx.signature',
      () => {
        must(verifyTxSignature(tx), 'the signer signature does not verify')
        return 'Ed25519 signature by the signer verifies'
      },
    ],
  ])
}

/**
 * A confirmed transaction's inclusion proof, in the page: the signed header it carries decodes for this chain at the
 * stated height, its producer is in the trusted genesis and signed it, and the transaction hash's Merkle path leads
 * to the header's txRoot.
 */
export function checkTxInclusion(t: TxView, genesis: GenesisJson): Check[] {
  const p = t.proof
  let header: Uint8Array
  let block: ReturnType<typeof decodeBlockHeader>
  return runChecks([
    [
      'block.decode',
      () => {
        must(!!p, 'no inclusion proof: the transaction is not in a block yet')
        header = fromHex(p!.blockHeader, 'blockHeader')
        block = decodeBlockHeader(header)
        must(block.chainId === genesis.chainId, `the header is for chain ${block.chainId}`)
        must(block.height === t.blockHeight, `the header is block ${block.height}, not ${t.blockHeight}`)
        return `block ${block.height}`
      },
    ],
    // core's producerChecks, so the page and `stele verify` agree on a registered producer's block.
    [
      'block.producer',
      () => producerChecks(genesisFromJson(genesis), p!.registrations, block.producer, block.height),
    ],
    [
      'block.signature',
      () => {
        must(
          verifyBlockSignature(header, fromHex(p!.blockSignature, 'blockSignature', 64), block.producer),
          'the producer signature over the header does not verify',
        )
        return 'Ed25519 signature by the producer verifies'
      },
    ],
    [
      'tx.inclusion',
      () => {
        const path = p!.txPath.map((x, i) => fromHex(x, `txPath[${i}]`, 32))
        must(
          verifyInclusion(
            leafHash(fromHex(t.hash, 'hash', 32)),
            p!.txIndex,
            block.txCount,
            path,
            block.txRoot,
          ),
          'the Merkle path does not lead from the transaction hash to the header txRoot',
        )
        return `leaf ${p!.txIndex} of ${block.txCount} leads to the txRoot`
      },
    ],
  ])
}
