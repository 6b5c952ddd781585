import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TestCert {
  /** PEM certificate (self-signed: it is its own CA). */
  cert: Buffer
  key: Buffer
  certFile: string
  keyFile: string
}

/**
 * A self-signed P-256 certificate for 127.0.0.1 (as clients on loopback dial it), valid for a day, written into
 * `dir`, made by the openssl command (node:crypto cannot make certificates). `npm run setup` installs openssl;
 * without it this fails and says so rather than skipping. Test-only.
 */
export async function makeTestCert(dir: string, name = 'cert'): Promise<TestCert> {
  const certFile = join(dir, `${name}.pem`)
  const keyFile = join(dir, `${name}-key.pem`)
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'ENOENT' ? new Error('the openssl command is missing: run npm run setup') : e
  })
  return { cert: await readFile(certFile), key: await readFile(keyFile), certFile, keyFile }
}
