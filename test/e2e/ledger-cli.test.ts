import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { accountCommand } from '../../cli/commands/account.ts'
import { faucetCommand } from '../../cli/commands/faucet.ts'
import { transferCommand } from '../../cli/commands/transfer.ts'
import { verifyCommand } from '../../cli/commands/verify.ts'
import { isSteleError } from '../../core/errors.ts'
import { useRunningNode } from '../helpers/running-node.ts'

const served = useRunningNode('stele-e2e-ledger-cli-')

/** Runs a command in-process; returns its exit code and what it printed. */
async function cli(
  run: (argv: string[], out: (s: string) => void) => Promise<number>,
  ...argv: string[]
): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const code = await run(argv, (s) => lines.push(s))
  return { code, out: lines.join('\n') }
}

describe('the CLI wallet against a real node', () => {
  it('makes two accounts (one sealed), funds one, transfers, and shows balances and history', async () => {
    const node = ['--node', served.url]
    const aliceKey = join(served.dir, 'alice.key')
    const bobKey = join(served.dir, 'bob.key')
    process.env['STELE_TEST_PASS'] = 'correct horse battery staple'
    const sealed = ['--key', aliceKey, '--passphrase-env', 'STELE_TEST_PASS']
    const alice = JSON.parse((await cli(accountCommand, 'new', ...sealed, '--json')).out).account
    const bob = JSON.parse((await cli(accountCommand, 'new', '--key', bobKey, '--json')).out).account
    // The sealed file holds no secret in the clear, and opens only with the passphrase.
    const file = JSON.parse(await readFile(aliceKey, 'utf8'))
    expect(file.secretKey).toBeUndefined()
    expect(file.sealed.kdf).toBe('scrypt')
    expect((await cli(accountCommand, 'show', ...sealed)).out).toBe(alice)
    process.env['STELE_WRONG_PASS'] = 'wrong'
    const wrong = await cli(
      accountCommand,
      'show',
      '--key',
      aliceKey,
      '--passphrase-env',
      'STELE_WRONG_PASS',
    ).catch((e: unknown) => e)
    expect(isSteleError(wrong) && wrong.code).toBe('STELE_NOT_AUTHORIZED')

    const granted = await cli(faucetCommand, '--key', aliceKey, ...node)
    expect(granted.out).toMatch(/granted 100 STL to [0-9a-f]{64} in block \d+/)
    const sent = await cli(
      transferCommand,
      ...sealed,
      ...node,
      '--to',
      bob,
      '--amount',
      '12.5',
      '--memo',
      'hi',
    )
    expect(sent.out).toMatch(/sent 12\.5 STL \(fee 0\.001\) in block \d+\ntransaction [0-9a-f]{64}/)

    expect((await cli(accountCommand, 'balance', '--key', bobKey, ...node)).out).toMatch(
      /^12\.5 STL \(12500000 base units\), next nonce 0/,
    )
    expect((await cli(accountCommand, 'balance', '--address', alice, ...node)).out).toMatch(
      /^87\.499 STL .* next nonce 1/,
    )
    const history = (await cli(accountCommand, 'history', '--address', alice, ...node)).out.split('\n')
    expect(history[0]).toMatch(new RegExp(`transfer +to +${bob} 12500000 fee 1000 "hi"`))
    expect(history[1]).toMatch(/faucet-grant/)

    // The account's proof, saved to a file, verifies with stele verify against the node's genesis.
    const proof = await (await fetch(`${served.url}/v1/accounts/${bob}/proof`)).json()
    const proofPath = join(served.dir, 'bob-proof.json')
    await writeFile(proofPath, JSON.stringify(proof))
    const genesis = join(served.dir, 'data', 'node', 'genesis.json')
    const ok = await cli(verifyCommand, proofPath, '--genesis', genesis)
    expect(ok.code, ok.out).toBe(0)
    expect(ok.out).toMatch(/VALID: account [0-9a-f]{64} holds 12\.5 STL, next nonce 0/)
    const bad = {
      ...proof,
      value: proof.value.replace(
        /^(..)(.)/,
        (_m: string, a: string, b: string) => a + (b === '0' ? '1' : '0'),
      ),
    }
    await writeFile(proofPath, JSON.stringify(bad))
    const failed = await cli(verifyCommand, proofPath, '--genesis', genesis, '--json')
    expect(failed.code).toBe(1)
    expect(JSON.parse(failed.out).checks.at(-1)).toMatchObject({ name: 'state.proof', ok: false })
  })
})
