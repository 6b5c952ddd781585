/**
 * StandardFirmata 2.5 constants and the board's replies to the handshake queries, for an Uno's pin set:
 * firmata-io reads these to build its pin table before johnny-five reports "ready".
 */
export const REPORT_VERSION = 0xf9
export const SYSTEM_RESET = 0xff
export const PIN_MODE = 0xf4
export const SET_DIGITAL_PIN_VALUE = 0xf5
export const ANALOG_MESSAGE = 0xe0
export const DIGITAL_MESSAGE = 0x90
export const REPORT_ANALOG = 0xc0
export const REPORT_DIGITAL = 0xd0
export const START_SYSEX = 0xf0
export const END_SYSEX = 0xf7
export const QUERY_FIRMWARE = 0x79
export const CAPABILITY_QUERY = 0x6b
export const CAPABILITY_RESPONSE = 0x6c
export const ANALOG_MAPPING_QUERY = 0x69
export const ANALOG_MAPPING_RESPONSE = 0x6a
export const PIN_STATE_QUERY = 0x6d
export const PIN_STATE_RESPONSE = 0x6e
export const SAMPLING_INTERVAL = 0x7a

export const MODE = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4, PULLUP: 0x0b } as const
export const DIGITAL_PINS = 14
export const ANALOG_PINS = 6
export const PWM_PINS = new Set([3, 5, 6, 9, 10, 11])
/** Data bytes that follow each channel-style command; sysex is handled apart. */
export const DATA_BYTES: Record<number, number> = {
  [ANALOG_MESSAGE]: 2,
  [DIGITAL_MESSAGE]: 2,
  [REPORT_ANALOG]: 1,
  [REPORT_DIGITAL]: 1,
  [PIN_MODE]: 2,
  [SET_DIGITAL_PIN_VALUE]: 2,
  [REPORT_VERSION]: 0,
  [SYSTEM_RESET]: 0,
}
export const MAX_SYSEX = 64

/** QUERY_FIRMWARE reply: version 2.5 and the sketch name, each byte as two 7-bit halves. */
export function firmwareResponse(name: string): number[] {
  const bytes: number[] = []
  for (const c of Buffer.from(name)) bytes.push(c & 0x7f, c >> 7)
  return [START_SYSEX, QUERY_FIRMWARE, 2, 5, ...bytes, END_SYSEX]
}

/** CAPABILITY_RESPONSE: per pin, (mode, resolution) pairs ending in 0x7F. */
export function capabilityResponse(): number[] {
  const out = [START_SYSEX, CAPABILITY_RESPONSE]
  for (let pin = 0; pin < DIGITAL_PINS + ANALOG_PINS; pin++) {
    out.push(MODE.INPUT, 1, MODE.OUTPUT, 1, MODE.PULLUP, 1)
    if (pin >= DIGITAL_PINS) out.push(MODE.ANALOG, 10)
    if (PWM_PINS.has(pin)) out.push(MODE.PWM, 8)
    if (pin >= 2 && pin < DIGITAL_PINS) out.push(MODE.SERVO, 14)
    out.push(0x7f)
  }
  out.push(END_SYSEX)
  return out
}

/** ANALOG_MAPPING_RESPONSE: the analog channel of each pin, 0x7F for pins without one. */
export function analogMappingResponse(): number[] {
  const map = Array.from({ length: DIGITAL_PINS + ANALOG_PINS }, (_, p) =>
    p < DIGITAL_PINS ? 0x7f : p - DIGITAL_PINS,
  )
  return [START_SYSEX, ANALOG_MAPPING_RESPONSE, ...map, END_SYSEX]
}
