import type { CommandSpec } from '../args.ts'

export const storageSpec: CommandSpec = {
  name: 'storage',
  summary:
    "Add, read and manage content-addressed files on a node (CIDs equal kubo's; optional client-side encryption).",
  usage:
    'stele storage add <file|-> [--encrypt [--key <file>]] | get <cid> [-o <file>] [--decrypt <keyfile>] | cat <cid> [--decrypt <keyfile>] | ls | stat <cid> | export <cid> [-o <file>] | import <car> | pin <cid> | unpin <cid> | gc  [--node <url>]',
  options: {
    node: { type: 'string', default: 'http://127.0.0.1:8080', description: 'node HTTP address' },
    output: { type: 'string', short: 'o', description: 'write to this file instead of standard output' },
    encrypt: {
      type: 'boolean',
      description:
        'seal the file on this machine (NaCl secretbox chunks) before it leaves; the node sees only ciphertext',
    },
    key: { type: 'string', description: 'with --encrypt: where to write the new key (default: <file>.key)' },
    decrypt: { type: 'string', description: 'open the file with the key in this key file' },
    quiet: { type: 'boolean', short: 'q', description: 'no progress on standard error' },
  },
}
