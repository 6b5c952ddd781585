import { ByteReader, ByteWriter } from './bytes.ts'
import { SteleError } from './errors.ts'
import { isValidId, LIMITS } from './reading.ts'

/** Payload of a GATEWAY_REGISTER transaction, signed by the genesis authority. */
export interface GatewayRegistration {
  gateway: Uint8Array
  name: string
  /** Device ids this gateway may report for; empty means any. */
  devices: string[]
}

export function encodeGatewayRegistration(p: GatewayRegistration): Uint8Array {
  if (p.gateway.length !== 32)
    throw new SteleError('STELE_BAD_ENCODING', 'gateway registration: key must be 32 bytes')
  const w = new ByteWriter(64).bytes(p.gateway).str8(p.name, 'name', 64).u16(p.devices.length)
  for (const d of p.devices) {
    if (!isValidId(d, LIMITS.deviceIdBytes))
      throw new SteleError('STELE_BAD_ENCODING', `gateway registration: bad device id ${d}`)
    w.str8(d, 'device')
  }
  return w.finish()
}

export function decodeGatewayRegistration(bytes: Uint8Array): GatewayRegistration {
  const rd = new ByteReader(bytes, 'gateway registration')
  const gateway = new Uint8Array(rd.bytes(32, 'gateway'))
  const name = rd.str8('name', 64)
  const n = rd.u16('device count')
  const devices: string[] = []
  for (let i = 0; i < n; i++) {
    const d = rd.str8(`device ${i}`)
    if (!isValidId(d, LIMITS.deviceIdBytes))
      throw new SteleError('STELE_BAD_ENCODING', `gateway registration: bad device id at ${i}`)
    devices.push(d)
  }
  rd.end()
  return { gateway, name, devices }
}
