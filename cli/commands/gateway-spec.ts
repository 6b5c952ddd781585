import type { CommandSpec } from '../args.ts'

export const gatewaySpec: CommandSpec = {
  name: 'gateway',
  summary: 'Run a gateway for real boards and MQTT devices against a node; or register a gateway key.',
  usage:
    'stele gateway --node <url> [--mqtt <url>] [--serial <path|usb:VID:PID|sn:SERIAL>[,...]] [--firmata <boards.json>] [--data <dir>]\n       stele gateway register --node <url> --key <hex> --authority <node.key> [--name <name>]',
  options: {
    node: {
      type: 'string',
      multiple: true,
      description:
        'bootstrap node HTTP address (default http://127.0.0.1:8080), repeatable: the gateway then uses the nodes the chain lists (GET /v1/nodes, refreshed every 30 s) and fails over between them',
    },
    mqtt: {
      type: 'string',
      description: 'MQTT broker URL to subscribe to (mqtt://127.0.0.1:1883, or mqtts:// for TLS)',
    },
    'mqtt-username': {
      type: 'string',
      description: "MQTT username (on a stele start broker: the gateway's stele-gw-... id)",
    },
    'mqtt-password': {
      type: 'string',
      description: 'MQTT password (or set STELE_MQTT_PASSWORD, which ps does not show)',
    },
    'mqtt-ca': { type: 'string', description: 'PEM CA certificate to trust for an mqtts:// broker' },
    topic: { type: 'string', default: 'stele/{device}/{sensor}', description: 'MQTT topic pattern' },
    serial: {
      type: 'string',
      description: 'serial port path of a line-protocol board (comma-separated for several)',
    },
    firmata: {
      type: 'string',
      description:
        'JSON file of StandardFirmata boards and their pin-to-sensor maps (see firmware-bridge/arduino/README.md)',
    },
    baud: { type: 'string', default: '115200', description: 'serial baud rate' },
    'outbox-max-batches': {
      type: 'string',
      default: '100000',
      description: 'sealed batches the outbox holds before sources are held back',
    },
    data: {
      type: 'string',
      default: '.stele',
      description: 'data folder (the gateway keeps its key and outbox in <data>/gateway)',
    },
    key: { type: 'string', description: 'with "register": the gateway public key (hex) to register' },
    authority: {
      type: 'string',
      description: 'with "register": the authority key file (the node\'s node.key on a local chain)',
    },
    name: { type: 'string', default: 'gateway', description: 'with "register": a name for the gateway' },
    devices: {
      type: 'string',
      description: 'with "register": comma-separated device ids this gateway may report (default: any)',
    },
  },
}
