/**
 * Every stable error code Stele emits, with the HTTP status it maps to and a one-line meaning.
 * docs/errors.md documents each; a test keeps the two in step.
 */
export const ERROR_CODES = {
  STELE_BAD_REQUEST: {
    status: 400,
    meaning: 'The request is malformed: a field is missing, of the wrong type or out of range.',
  },
  STELE_BAD_ENCODING: {
    status: 400,
    meaning: 'Bytes do not decode as the format named (record, batch, transaction, block, frame).',
  },
  STELE_BAD_TIME: { status: 400, meaning: 'A time is neither ISO 8601 nor epoch milliseconds.' },
  STELE_BAD_CURSOR: {
    status: 400,
    meaning: 'A pagination cursor was not issued by this node or belongs to another query.',
  },
  STELE_NOT_FOUND: {
    status: 404,
    meaning: 'The route, device, reading, block or transaction does not exist.',
  },
  STELE_PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The request body is larger than the node accepts.' },
  STELE_URI_TOO_LONG: {
    status: 414,
    meaning: 'The URL, or one of its path segments, is longer than the node accepts.',
  },
  STELE_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning:
      'The request body has a content type the route does not take (JSON routes take application/json).',
  },
  STELE_REQUEST_TIMEOUT: {
    status: 408,
    meaning:
      'The request (headers and body) did not arrive within the time the node allows; the connection is closed.',
  },
  STELE_HEADERS_TOO_LARGE: {
    status: 431,
    meaning: 'The request headers are larger than the node accepts; the connection is closed.',
  },
  STELE_READING_PENDING: {
    status: 409,
    meaning: 'The reading is accepted but not yet sealed in a block; its proof exists after the next block.',
  },
  STELE_CHAIN_MISMATCH: {
    status: 400,
    meaning: "A transaction names another chain id than this node's genesis.",
  },
  STELE_BAD_SIGNATURE: {
    status: 401,
    meaning: 'A signature does not verify against the key that claims it.',
  },
  STELE_GATEWAY_UNKNOWN: {
    status: 403,
    meaning: 'The gateway key is not registered on chain; register it with the authority key.',
  },
  STELE_NOT_AUTHORIZED: { status: 403, meaning: 'The signer may not perform this operation.' },
  STELE_BATCH_GAP: {
    status: 409,
    meaning:
      "A batch does not continue the gateway's chain; details.expectedSeq says which batch to send next.",
  },
  STELE_BATCH_CONFLICT: {
    status: 409,
    meaning: 'A batch reuses a sequence number the node already holds with other content.',
  },
  STELE_TX_TOO_LARGE: {
    status: 413,
    meaning:
      'A transaction with its records is larger than any block of the node holds (details.bytes, details.maxBytes): refused for good; send fewer records per batch.',
  },
  STELE_BATCH_INVALID: {
    status: 422,
    meaning: 'A batch is signed but its contents contradict its header (root, count, sequences, times).',
  },
  STELE_CONTRACT_INVALID: {
    status: 422,
    meaning:
      'Contract code is refused at deploy: a syntax error (details.line, details.column), an import, a top-level throw or await, or no exported function.',
  },
  STELE_CONTRACT_MISMATCH: {
    status: 422,
    meaning:
      "A contract result's hashes differ from this node's re-execution of its inputs; the result is refused and evidence kept (details.claimed, details.recomputed).",
  },
  STELE_TX_INVALID: {
    status: 422,
    meaning: 'A transaction is well formed but not valid in the current state.',
  },
  STELE_BLOCK_INVALID: {
    status: 422,
    meaning:
      'A block from a peer breaks a consensus or state rule (producer, turn, recents, time, roots); details.reason names it.',
  },
  STELE_UNKNOWN_TX_TYPE: {
    status: 422,
    meaning:
      'The transaction type is not one this node validates (unknown, or reserved for a later version).',
  },
  STELE_NONCE_TOO_LOW: {
    status: 409,
    meaning:
      "The transaction's nonce was already used by its signer (a replay); details.expectedNonce says the next.",
  },
  STELE_NONCE_GAP: {
    status: 409,
    meaning:
      "The transaction's nonce skips ahead of its signer's next nonce; details.expectedNonce says which.",
  },
  STELE_FEE_TOO_LOW: {
    status: 422,
    meaning: "The transaction's fee is below the genesis minimum for its type; details.minFee says it.",
  },
  STELE_INSUFFICIENT_BALANCE: {
    status: 422,
    meaning: "The signer's balance does not cover the amount plus the fee.",
  },
  STELE_BAD_AMOUNT: {
    status: 422,
    meaning: 'An amount is zero, larger than the total supply, or larger than the faucet grant.',
  },
  STELE_MEMO_TOO_LONG: { status: 422, meaning: 'A transfer memo is longer than 64 bytes of UTF-8.' },
  STELE_PROOF_INVALID: {
    status: 422,
    meaning:
      'A proof bundle failed a check; the message names which, details.failedCheck and details.checks list them.',
  },
  STELE_CAR_INVALID: {
    status: 422,
    meaning:
      'A CAR import was refused whole and nothing was stored: a block does not hash to its CID, does not decode, or the DAG of a root is incomplete.',
  },
  STELE_DRIVE_UNKNOWN: {
    status: 404,
    meaning: 'No drive has this id (the hash of its drive-create transaction).',
  },
  STELE_DRIVE_CLOSED: {
    status: 409,
    meaning: 'The drive was closed by its owner or expired; it takes no more changes or proofs.',
  },
  STELE_CAPACITY_EXCEEDED: {
    status: 422,
    meaning:
      'A drive-put would take the drive past its capacity in bytes or its 256 files; details give capacity and used.',
  },
  STELE_CID_UNKNOWN: {
    status: 422,
    meaning:
      'A drive-put names a CID whose root block this node does not hold, or whose size or DAG size differs; upload it first.',
  },
  STELE_CHALLENGE_INVALID: {
    status: 422,
    meaning:
      'A storage proof answers no open challenge of the drive (another height, none open, or already answered).',
  },
  STELE_RANGE_NOT_SATISFIABLE: {
    status: 416,
    meaning: "A byte range or offset lies past the end of the file; details.size gives the file's size.",
  },
  STELE_RATE_LIMITED: {
    status: 429,
    meaning:
      "A writer is over its limit (a gateway past its write rate, a faucet request within its address's or client's cooldown, a client address past its allowance of refused authentications); details.retryAfterMs says when to retry.",
  },
  STELE_UNAVAILABLE: {
    status: 503,
    meaning: 'A service the operation needs is stopped or unreachable; retry later.',
  },
  STELE_CIRCUIT_FAILED: {
    status: 502,
    meaning:
      'A presence circuit could not be built or was torn down: a hop did not answer, its key did not match, or a cell failed its check.',
  },
  STELE_PRESENCE_REFUSED: {
    status: 403,
    meaning:
      'A presence node refused a registration: unknown account, bad signature, another presence node named, or an expiry out of range.',
  },
  STELE_STORAGE: { status: 500, meaning: 'The data folder could not be read or written.' },
  STELE_CONFIG: { status: 500, meaning: 'Configuration is invalid: a flag, file or port.' },
  STELE_INTERNAL: { status: 500, meaning: 'An unexpected failure; the log has details.' },
} as const satisfies Record<string, { status: number; meaning: string }>

export type ErrorCode = keyof typeof ERROR_CODES
