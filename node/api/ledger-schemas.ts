/** Request and response schemas of the ledger routes (node/api/ledger.ts). */

const BASE64 = '^[A-Za-z0-9+/=]+$'
const HEX = '^([0-9a-f]{2})*$'
const HEX32 = '^[0-9a-f]{64}$'

/** A block producer's registration path, served when it is not a genesis producer (docs/protocol.md §6.4). */
export const registrationsSchema = {
  type: 'array',
  description: "the block producer's registration path, when it is not a genesis producer (protocol §6.4)",
  items: {
    type: 'object',
    properties: {
      tx: { type: 'string' },
      txIndex: { type: 'integer' },
      txPath: { type: 'array', items: { type: 'string' } },
      blockHeader: { type: 'string' },
      blockSignature: { type: 'string' },
    },
  },
} as const

export const submitBodySchema = {
  content: {
    'application/json': {
      schema: {
        oneOf: [
          {
            type: 'object',
            required: ['tx'],
            additionalProperties: false,
            properties: { tx: { type: 'string', pattern: BASE64, description: 'the signed bytes, base64' } },
          },
          {
            type: 'object',
            required: ['txHex'],
            additionalProperties: false,
            properties: { txHex: { type: 'string', pattern: HEX, description: 'the signed bytes, hex' } },
          },
          {
            type: 'object',
            required: ['type', 'chainId', 'signer', 'nonce', 'payload', 'signature'],
            additionalProperties: false,
            description: 'the fields of docs/protocol.md §4; the node encodes the body the signature covers',
            properties: {
              type: { type: 'integer', minimum: 0, maximum: 255 },
              chainId: { type: 'string', maxLength: 64 },
              signer: { type: 'string', pattern: HEX32 },
              nonce: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
              payload: { type: 'string', pattern: HEX },
              signature: { type: 'string', pattern: '^[0-9a-f]{128}$' },
            },
          },
        ],
      },
    },
    'application/octet-stream': {
      // No type: the body arrives as a Buffer, which no JSON schema type describes; decodeTx checks the bytes.
      schema: { description: 'the signed transaction bytes (binary)' },
    },
  },
} as const

export const txSchema = {
  type: 'object',
  properties: {
    hash: { type: 'string' },
    type: { type: 'string' },
    chainId: { type: 'string' },
    signer: { type: 'string' },
    nonce: { type: 'integer' },
    signature: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'confirmed', 'final'] },
    blockHeight: { type: ['integer', 'null'] },
    index: { type: ['integer', 'null'] },
    time: { type: 'integer', description: 'the block time, once confirmed' },
    timeIso: { type: 'string' },
    // Decoded for known types (record-batch, gateway-register, transfer, faucet-grant, node-register), else hex.
    payload: {},
    bytes: { type: 'string', description: 'the signed transaction, base64' },
    proof: {
      type: ['object', 'null'],
      description: 'once confirmed: the Merkle path of the transaction hash to the block header txRoot',
      properties: {
        txIndex: { type: 'integer' },
        txPath: { type: 'array', items: { type: 'string' } },
        blockHeader: { type: 'string' },
        blockSignature: { type: 'string' },
        registrations: registrationsSchema,
      },
    },
  },
} as const

export const accountSchema = {
  type: 'object',
  properties: {
    account: { type: 'string' },
    balance: { type: 'string', description: 'base units, a decimal string' },
    balanceCoins: { type: 'string', description: 'the balance in coins (balance / 10^decimals)' },
    symbol: { type: 'string' },
    decimals: { type: 'integer' },
    nonce: { type: 'integer', description: 'the next nonce the account must sign with' },
    roles: { type: 'array', items: { type: 'string' } },
    height: { type: 'integer', description: 'the block the state is from' },
    pending: {
      type: 'object',
      description: 'the same with the pending transactions applied',
      properties: { balance: { type: 'string' }, nonce: { type: 'integer' } },
    },
  },
} as const

export const accountTxPageSchema = {
  type: 'object',
  properties: {
    items: { type: 'array', items: txSchema },
    nextCursor: { type: ['string', 'null'] },
  },
} as const
