/**
 * Gossip of transactions, batches and blocks over gossipsub, one topic each per chain. Every message passes the
 * node's validator before gossipsub delivers or forwards it (topicValidators): a message refused here reaches no
 * handler and no other peer, and its sender's score drops.
 */
import { type GossipSub, type GossipsubMessage, type Message, TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { SteleError } from '../../core/errors.ts'
import { type Logger, silentLogger } from '../../core/logger.ts'
import { abortable } from '../chain/abortable.ts'
import { decodeTxGossip, encodeTxGossip, MAX_GOSSIP_BYTES, type TxGossip } from './gossip-codec.ts'
import { chainProtocols } from './protocols.ts'

/** 'accept' delivers and forwards; 'ignore' drops quietly (a duplicate, a block already held); 'reject' penalises. */
export type GossipVerdict = 'accept' | 'ignore' | 'reject'

export interface GossipSource {
  /** The peer that relayed the message to this node: the one penalised for a bad message. */
  peer: PeerId
  /** The node that published it (gossip is signed by its peer key, which is its ledger key). */
  author: PeerId | undefined
}

export interface GossipInit {
  chainId: string
  /** Checks a transaction or batch (signature, chain, fee) before the mempool or any peer sees it. A throw rejects. */
  validateTx(m: TxGossip, from: GossipSource): GossipVerdict | Promise<GossipVerdict>
  /** Checks a block (producer, signature, consensus rules) likewise. */
  validateBlock(block: Uint8Array, from: GossipSource): GossipVerdict | Promise<GossipVerdict>
  /** A transaction or batch that passed validateTx. */
  onTx?(m: TxGossip, from: GossipSource): void
  /** A block that passed validateBlock. */
  onBlock?(block: Uint8Array, from: GossipSource): void
  logger?: Logger
}

export interface GossipComponents {
  pubsub: GossipSub
}

const VERDICT: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
}

export class GossipService {
  private readonly topics: { tx: string; block: string }
  private readonly log: Logger
  private started = false
  // Decoded once in the validator and handed to onTx, so the message event does not decode again.
  private readonly decoded = new WeakMap<Uint8Array, TxGossip>()

  constructor(
    private readonly init: GossipInit,
    private readonly components: GossipComponents,
  ) {
    const names = chainProtocols(init.chainId)
    this.topics = { tx: names.txTopic, block: names.blockTopic }
    this.log = init.logger ?? silentLogger
  }

  get txTopic(): string {
    return this.topics.tx
  }

  get blockTopic(): string {
    return this.topics.block
  }

  start(): void {
    if (this.started) return
    const { pubsub } = this.components
    pubsub.topicValidators.set(this.topics.tx, this.validateTx)
    pubsub.topicValidators.set(this.topics.block, this.validateBlock)
    pubsub.addEventListener('gossipsub:message', this.onMessage)
    pubsub.subscribe(this.topics.tx)
    pubsub.subscribe(this.topics.block)
    this.started = true
  }

  stop(): void {
    if (!this.started) return
    const { pubsub } = this.components
    pubsub.removeEventListener('gossipsub:message', this.onMessage)
    for (const topic of [this.topics.tx, this.topics.block]) {
      pubsub.unsubscribe(topic)
      pubsub.topicValidators.delete(topic)
    }
    this.started = false
  }

  /** Sends a transaction or batch to the peers; resolves with how many peers it was sent to directly. */
  async publishTx(m: TxGossip, opts: { signal?: AbortSignal } = {}): Promise<number> {
    return this.publish(this.topics.tx, encodeTxGossip(m), opts.signal)
  }

  async publishBlock(block: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<number> {
    if (block.length === 0 || block.length > MAX_GOSSIP_BYTES)
      throw new SteleError(
        'STELE_BAD_ENCODING',
        `block gossip: ${block.length} bytes is empty or over the limit`,
      )
    return this.publish(this.topics.block, block, opts.signal)
  }

  private async publish(topic: string, data: Uint8Array, signal: AbortSignal | undefined): Promise<number> {
    if (!this.started) throw new SteleError('STELE_UNAVAILABLE', 'gossip is not started')
    signal?.throwIfAborted()
    const result = await abortable(this.components.pubsub.publish(topic, data), signal)
    return result.recipients.length
  }

  private readonly validateTx = async (peer: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    try {
      const m = decodeTxGossip(msg.data)
      const verdict = await this.init.validateTx(m, { peer, author: authorOf(msg) })
      if (verdict === 'accept') this.decoded.set(msg.data, m)
      return VERDICT[verdict]
    } catch (err) {
      this.log.debug({ err, peer: peer.toString(), topic: msg.topic }, 'gossip: transaction refused')
      return TopicValidatorResult.Reject
    }
  }

  private readonly validateBlock = async (peer: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    try {
      if (msg.data.length === 0 || msg.data.length > MAX_GOSSIP_BYTES) return TopicValidatorResult.Reject
      return VERDICT[await this.init.validateBlock(msg.data, { peer, author: authorOf(msg) })]
    } catch (err) {
      this.log.debug({ err, peer: peer.toString(), topic: msg.topic }, 'gossip: block refused')
      return TopicValidatorResult.Reject
    }
  }

  // Only messages that passed their topic's validator reach this event.
  private readonly onMessage = (evt: CustomEvent<GossipsubMessage>): void => {
    const { msg, propagationSource } = evt.detail
    const source = { peer: propagationSource, author: authorOf(msg) }
    try {
      if (msg.topic === this.topics.tx)
        this.init.onTx?.(this.decoded.get(msg.data) ?? decodeTxGossip(msg.data), source)
      else if (msg.topic === this.topics.block) this.init.onBlock?.(msg.data, source)
    } catch (err) {
      this.log.error({ err, topic: msg.topic }, 'gossip: handler failed')
    }
  }
}

const authorOf = (msg: Message): PeerId | undefined => (msg.type === 'signed' ? msg.from : undefined)
