/** Response schemas more than one route shares. Objects whose fields may grow keep unknown fields (additionalProperties). */

export const genesisSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    chainId: { type: 'string' },
    time: { type: 'integer' },
    producers: { type: 'array', items: { type: 'string' } },
    authority: { type: 'string' },
    hash: { type: 'string' },
  },
} as const

/** A plain-text or HTML body, for the routes that do not answer JSON. */
export const textBody = (description: string) => ({ type: 'string', description }) as const
