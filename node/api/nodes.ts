import type { FastifyPluginAsync } from 'fastify'
import { ROLES } from '../../core/account.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { decodeNodeEntry } from '../../core/ledger-payloads.ts'
import { STATE_NS, stateKey } from '../../core/state-map.ts'
import type { SteleNode } from '../node.ts'
import { peerIdOfKey } from '../p2p/peer-key.ts'
import { errorResponses } from './error-schema.ts'

const ROLE_NAMES: [number, string][] = [
  [ROLES.PRODUCER, 'producer'],
  [ROLES.REPLICATOR, 'replicator'],
  [ROLES.EXECUTOR, 'executor'],
]

/**
 * GET /v1/nodes: the chain's nodes: every genesis producer and every key registered by a node-register transaction
 * that this node knows of (genesis, its peers, the registrations it applied), with roles and endpoints read from the
 * state, and whether this node is connected to it.
 */
export const nodesRoutes: FastifyPluginAsync<{ node: SteleNode }> = async (app, { node }) => {
  app.get(
    '/v1/nodes',
    {
      schema: {
        summary: "The chain's nodes: producers from genesis and node-register transactions, roles, endpoints",
        response: {
          200: {
            type: 'object',
            properties: {
              nodes: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    key: { type: 'string' },
                    peerId: { type: 'string' },
                    genesisProducer: { type: 'boolean' },
                    producer: {
                      type: 'boolean',
                      description:
                        'in the producer set of the next block (genesis or registered with the role)',
                    },
                    roles: { type: 'array', items: { type: 'string' } },
                    endpoints: { type: 'array', items: { type: 'string' } },
                    self: { type: 'boolean' },
                    connected: { type: 'boolean' },
                    head: { type: 'integer' },
                    headHash: { type: 'string', description: 'the hash at head, as this node knows it' },
                  },
                },
              },
            },
          },
          ...errorResponses(),
        },
      },
    },
    async () => {
      const producers = new Set(node.genesis.producers.map(toHex))
      const status = node.network?.status()
      const byPeer = new Map(status?.peers.map((p) => [p.id, p]) ?? [])
      const current = new Set(node.index.producers)
      const keys = new Set([...producers, ...current, ...node.applied.knownNodes])
      const self = toHex(node.identity.key.publicKey)
      const nodes = []
      for (const key of [...keys].sort()) {
        const raw = node.ledger
          ? await node.ledger.map.get(stateKey(STATE_NS.NODE, fromHex(key, 'key', 32)))
          : undefined
        const entry = raw ? decodeNodeEntry(raw) : undefined
        const roles = entry
          ? ROLE_NAMES.filter(([bit]) => (entry.roles & bit) !== 0).map(([, n]) => n)
          : producers.has(key)
            ? ['producer']
            : []
        const peerId = peerIdOfKey(fromHex(key, 'key', 32)).toString()
        const peer = byPeer.get(peerId)
        nodes.push({
          key,
          peerId,
          genesisProducer: producers.has(key),
          producer: current.has(key),
          roles,
          endpoints: entry?.endpoints ?? [],
          self: key === self,
          connected: peer?.connected ?? false,
          ...(key === self
            ? { head: node.state.tip.height, headHash: node.state.tip.hash }
            : peer?.head !== undefined
              ? { head: peer.head, ...(peer.headHash ? { headHash: peer.headHash } : {}) }
              : {}),
        })
      }
      return { nodes }
    },
  )

  app.get(
    '/v1/evidence',
    {
      schema: {
        summary: 'Equivocation evidence recorded on chain: a producer that signed two blocks at one height',
        response: {
          200: {
            type: 'object',
            properties: {
              evidence: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    producer: { type: 'string' },
                    height: { type: 'integer', description: 'the height of the two blocks' },
                    tx: { type: 'string', description: 'the evidence transaction' },
                    block: { type: 'integer', description: 'the block that recorded it' },
                  },
                },
              },
            },
          },
          ...errorResponses(),
        },
      },
    },
    async () => ({ evidence: node.applied.evidence }),
  )
}
