// Injected into the browser bundle: core/bytes.ts, merkle.ts and transaction.ts use node's Buffer global.
export { Buffer } from 'buffer'
