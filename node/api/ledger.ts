import type { FastifyPluginAsync } from 'fastify'
import { rolesToNames } from '../../core/account.ts'
import { toAccountProofBundle } from '../../core/account-proof.ts'
import { formatCoins } from '../../core/amount.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { genesisToJson } from '../../core/genesis.ts'
import { encodeStateProof } from '../../core/state-map.ts'
import { encodeTxBody } from '../../core/transaction.ts'
import { LA } from '../ledger/account-index.ts'
import { FaucetLimit, type FaucetLimitInit } from '../ledger/faucet-limit.ts'
import type { Ledger } from '../ledger/ledger.ts'
import type { SteleNode } from '../node.ts'
import { errorResponses } from './error-schema.ts'
import { accountSchema, accountTxPageSchema, submitBodySchema, txSchema } from './ledger-schemas.ts'
import { HEX32, intField } from './params.ts'
import { proofBundleSchema } from './readings.ts'
import { txWithProof } from './tx-proof.ts'

/** What a signed ledger write can be refused for, before anything is stored (docs/errors.md). */
const TX_ERRORS = [
  'STELE_BAD_ENCODING',
  'STELE_CHAIN_MISMATCH',
  'STELE_BAD_SIGNATURE',
  'STELE_NOT_AUTHORIZED',
  'STELE_UNKNOWN_TX_TYPE',
  'STELE_NONCE_TOO_LOW',
  'STELE_NONCE_GAP',
  'STELE_FEE_TOO_LOW',
  'STELE_INSUFFICIENT_BALANCE',
  'STELE_BAD_AMOUNT',
  'STELE_MEMO_TOO_LONG',
  'STELE_TX_INVALID',
  'STELE_UNAVAILABLE',
  'STELE_CONTRACT_MISMATCH',
  'STELE_CONTRACT_INVALID',
] as const

const keyParams = { type: 'object', properties: { key: { type: 'string', pattern: HEX32 } } } as const
const HISTORY_CURSOR = 'h1.'

function needLedger(node: SteleNode): Ledger {
  if (!node.ledger)
    throw new SteleError(
      'STELE_UNAVAILABLE',
      'this chain has no ledger: its genesis is version 1, made before accounts existed',
    )
  return node.ledger
}

type SubmitBody =
  | Buffer
  | { tx?: string; txHex?: string }
  | { type: number; chainId: string; signer: string; nonce: number; payload: string; signature: string }

/** The signed transaction's bytes from any of the three forms POST /v1/transactions takes. */
function txBytes(body: SubmitBody): Uint8Array {
  if (Buffer.isBuffer(body)) return new Uint8Array(body)
  if ('signature' in body) {
    const bodyBytes = encodeTxBody({
      type: body.type,
      chainId: body.chainId,
      signer: fromHex(body.signer, 'signer', 32),
      nonce: body.nonce,
      payload: fromHex(body.payload, 'payload'),
    })
    return new Uint8Array(Buffer.concat([bodyBytes, fromHex(body.signature, 'signature', 64)]))
  }
  if ('tx' in body && body.tx !== undefined) return new Uint8Array(Buffer.from(body.tx, 'base64'))
  if ('txHex' in body && body.txHex !== undefined) return fromHex(body.txHex, 'txHex')
  throw new SteleError(
    'STELE_BAD_REQUEST',
    'send {tx: base64}, {txHex}, the transaction fields, or its bytes',
  )
}

/**
 * The ledger's routes (DESIGN §5): one pipeline for signed transactions, accounts with their state proofs and
 * histories, transactions with their proof of inclusion, and the faucet.
 */
export const ledgerRoutes: FastifyPluginAsync<{ node: SteleNode; faucet?: FaucetLimitInit }> = async (
  app,
  { node, faucet },
) => {
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  )
  const limit = new FaucetLimit(faucet ?? {}, { timers: node.timers })

  app.post<{ Body: SubmitBody }>(
    '/v1/transactions',
    {
      schema: {
        summary:
          'A signed transaction of any type but record batches (those go to /v1/batches): its bytes (application/octet-stream), {tx: base64}, {txHex}, or its fields',
        body: submitBodySchema,
        response: {
          200: {
            type: 'object',
            properties: {
              hash: { type: 'string' },
              status: { type: 'string', enum: ['accepted', 'duplicate'] },
            },
          },
          ...errorResponses(...TX_ERRORS, 'STELE_GATEWAY_UNKNOWN'),
        },
      },
    },
    async (req) => node.submitTx(txBytes(req.body)),
  )

  app.get<{ Params: { hash: string } }>(
    '/v1/transactions/:hash',
    {
      schema: {
        summary:
          'One transaction by hash, pending or confirmed, its payload decoded, and its proof of inclusion in its block',
        params: { type: 'object', properties: { hash: { type: 'string', pattern: HEX32 } } },
        response: { 200: txSchema, ...errorResponses('STELE_NOT_FOUND', 'STELE_BAD_ENCODING') },
      },
    },
    async (req) => {
      const { hash } = req.params
      const pending = node.mempool.get(hash)
      if (pending) return txWithProof(node, pending.tx.bytes, null)
      const stored = await node.query.storedTx(hash)
      if (!stored) throw new SteleError('STELE_NOT_FOUND', `no transaction ${hash}`)
      return txWithProof(node, stored.tx, stored)
    },
  )

  app.get<{ Params: { key: string } }>(
    '/v1/accounts/:key',
    {
      schema: {
        summary:
          'An account: balance, next nonce and roles as of the last block, and with pending transactions',
        params: keyParams,
        response: { 200: accountSchema, ...errorResponses('STELE_UNAVAILABLE') },
      },
    },
    async (req) => {
      const ledger = needLedger(node)
      const pub = fromHex(req.params.key, 'key', 32)
      const l = ledger.genesis.ledger!
      // Under the ledger's lock: the state and the height it is from belong to one block.
      return ledger.exclusive(async () => {
        const a = await ledger.account(pub)
        const p = await ledger.account(pub, { pending: true })
        return {
          account: req.params.key,
          balance: a.balance.toString(),
          balanceCoins: formatCoins(a.balance, l.decimals),
          symbol: l.symbol,
          decimals: l.decimals,
          nonce: a.nonce,
          roles: rolesToNames(a.roles),
          height: node.state.tip.height,
          pending: { balance: p.balance.toString(), nonce: p.nonce },
        }
      })
    },
  )

  app.get<{ Params: { key: string } }>(
    '/v1/accounts/:key/proof',
    {
      schema: {
        summary:
          'A proof of the account (or of its absence) against the state root of the latest signed block; `stele verify` checks it offline',
        params: keyParams,
        response: { 200: proofBundleSchema, ...errorResponses('STELE_UNAVAILABLE') },
      },
    },
    async (req) => {
      const ledger = needLedger(node)
      const pub = fromHex(req.params.key, 'key', 32)
      return ledger.exclusive(async () => {
        const { height } = node.state.tip
        if (height === 0)
          throw new SteleError(
            'STELE_UNAVAILABLE',
            'no block yet: the state is proven against a signed block header; ask after the first block',
          )
        const block = await node.query.storedBlock(height)
        if (!block) throw new SteleError('STELE_STORAGE', `block ${height} is missing`)
        const { value, proof } = await ledger.prove(pub)
        return toAccountProofBundle({
          account: pub,
          value,
          stateProof: encodeStateProof(proof),
          blockHeader: block.header,
          blockSignature: block.signature,
          genesis: genesisToJson(node.genesis),
          registrations: await node.query.registrations(block.header),
        })
      })
    },
  )

  app.get<{ Params: { key: string }; Querystring: { limit: number; cursor?: string } }>(
    '/v1/accounts/:key/transactions',
    {
      schema: {
        summary: "An account's confirmed transactions, as signer or as recipient, newest first",
        params: keyParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: intField(1, 100, 20), cursor: { type: 'string', maxLength: 200 } },
        },
        response: {
          200: accountTxPageSchema,
          ...errorResponses('STELE_UNAVAILABLE', 'STELE_BAD_CURSOR'),
        },
      },
    },
    async (req) => {
      needLedger(node)
      const prefix = LA.prefix(req.params.key)
      let lt = `${prefix}\uffff`
      const { cursor, limit } = req.query
      if (cursor !== undefined) {
        const after = cursor.startsWith(HISTORY_CURSOR)
          ? Buffer.from(cursor.slice(HISTORY_CURSOR.length), 'base64url').toString('utf8')
          : ''
        if (!after.startsWith(prefix))
          throw new SteleError('STELE_BAD_CURSOR', 'cursor was not issued for this account; start again')
        lt = after
      }
      const entries = await node.db.iterator({ gt: prefix, lt, reverse: true, limit: limit + 1 }).all()
      const page = entries.slice(0, limit)
      const items = await Promise.all(
        page.map(async ([, hash]) => {
          const stored = await node.query.storedTx(toHex(hash))
          if (!stored) throw new SteleError('STELE_STORAGE', `transaction ${toHex(hash)} is missing`)
          return txWithProof(node, stored.tx, stored, { proof: false })
        }),
      )
      const last = page[page.length - 1]
      const nextCursor =
        entries.length > limit && last
          ? HISTORY_CURSOR + Buffer.from(last[0], 'utf8').toString('base64url')
          : null
      return { items, nextCursor }
    },
  )

  app.post<{ Body: { address: string } }>(
    '/v1/faucet',
    {
      schema: {
        summary:
          'Grants the genesis faucet amount to an address, once per address and per client in a cooldown',
        body: {
          type: 'object',
          required: ['address'],
          additionalProperties: false,
          properties: { address: { type: 'string', pattern: HEX32 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              hash: { type: 'string' },
              status: { type: 'string', enum: ['accepted'] },
              amount: { type: 'string' },
              symbol: { type: 'string' },
            },
          },
          ...errorResponses('STELE_UNAVAILABLE', 'STELE_RATE_LIMITED', ...TX_ERRORS),
        },
      },
    },
    async (req) => {
      const ledger = needLedger(node)
      if (!ledger.faucetKey)
        throw new SteleError('STELE_UNAVAILABLE', 'this node does not hold the genesis faucet key')
      const keys = [`a:${req.body.address}`, `ip:${req.ip}`]
      const wait = limit.wait(keys)
      if (wait > 0)
        throw new SteleError(
          'STELE_RATE_LIMITED',
          `the faucet granted to this address or client recently; retry in ${Math.ceil(wait / 1000)} s`,
          { details: { retryAfterMs: wait } },
        )
      const { hash, amount } = await ledger.grant(fromHex(req.body.address, 'address', 32))
      limit.charge(keys)
      return { hash, status: 'accepted', amount: amount.toString(), symbol: ledger.genesis.ledger!.symbol }
    },
  )
}
