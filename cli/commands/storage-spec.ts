import type { CommandSpec } from '../args.ts'

export const storageSpec: CommandSpec = {
  name: 'storage',
  summary:
    "Add, read and manage content-addressed files on a node (CIDs equal kubo's; optional client-side encryption); archive a device's day of readings with proofs.",
  usage:
    'stele storage add <file|-> [--encrypt [--key <file>]] | get <cid> [-o <file>] [--decrypt <keyfile>] | cat <cid> [--decrypt <keyfile>] | ls | stat <cid> | export <cid> [-o <file>] | import <car> | pin <cid> | unpin <cid> | gc | archive --device <id> --day <YYYY-MM-DD> [--drive <id> --key <wallet>]  [--node <url>]',
  options: {
    node: { type: 'string', default: 'http://127.0.0.1:8080', description: 'node HTTP address' },
    output: { type: 'string', short: 'o', description: 'write to this file instead of standard output' },
    encrypt: {
      type: 'boolean',
      description:
        'seal the file on this machine (NaCl secretbox chunks) before it leaves; the node sees only ciphertext',
    },
    key: {
      type: 'string',
      description:
        'with --encrypt: where to write the new key (default: <file>.key); with archive --drive: the wallet key file (default: .stele/wallet.key)',
    },
    'passphrase-env': {
      type: 'string',
      description: 'archive --drive: name of the environment variable holding the wallet key passphrase',
    },
    device: { type: 'string', description: 'archive: the device whose readings to archive' },
    day: { type: 'string', description: 'archive: the UTC day, YYYY-MM-DD' },
    drive: { type: 'string', description: 'archive: put the archive in this drive (its id, hex)' },
    decrypt: { type: 'string', description: 'open the file with the key in this key file' },
    quiet: { type: 'boolean', short: 'q', description: 'no progress on standard error' },
  },
}
