import { readFile } from 'node:fs/promises'
import type { ConnectionOptions } from 'node:tls'
import type { IClientOptions } from 'mqtt'
import { SteleError } from '../../core/errors.ts'
import type { EmbeddedBrokerInit } from '../../gateway/embedded-broker.ts'
import { intOption, type Parsed, strOption } from '../args.ts'

export type BrokerSecurity = Pick<EmbeddedBrokerInit, 'allowAnonymous' | 'maxPacketBytes' | 'tls'>

/** The embedded broker's --mqtt-allow-anonymous, --mqtt-max-packet and --mqtt-tls-cert/--mqtt-tls-key. */
export async function brokerSecurityOptions(p: Parsed): Promise<BrokerSecurity> {
  const cert = strOption(p, 'mqtt-tls-cert')
  const key = strOption(p, 'mqtt-tls-key')
  if ((cert === undefined) !== (key === undefined))
    throw new SteleError('STELE_CONFIG', '--mqtt-tls-cert and --mqtt-tls-key go together')
  const read = (file: string, flag: string) =>
    readFile(file).catch((cause) => {
      throw new SteleError('STELE_CONFIG', `cannot read ${flag} ${file}: ${(cause as Error).message}`, {
        cause,
      })
    })
  return {
    allowAnonymous: p.values['mqtt-allow-anonymous'] === true,
    maxPacketBytes: intOption(p, 'mqtt-max-packet', 1024, 256 * 1024 * 1024),
    ...(cert && key
      ? { tls: { cert: await read(cert, '--mqtt-tls-cert'), key: await read(key, '--mqtt-tls-key') } }
      : {}),
  }
}

/**
 * TLS options for the clients `stele start` runs against its own broker on loopback: they trust exactly the
 * broker's certificate and skip the host name check (the name in the certificate is the one remote clients
 * use, not 127.0.0.1).
 */
export function loopbackTls(brokerCert: string | Uint8Array | undefined): Partial<IClientOptions> {
  if (!brokerCert) return {}
  // mqtt.js hands its options to tls.connect, which takes checkServerIdentity; its own type does not list it.
  const tls: Partial<IClientOptions> & Pick<ConnectionOptions, 'checkServerIdentity'> = {
    ca: Buffer.from(brokerCert),
    checkServerIdentity: () => undefined,
  }
  return tls
}
