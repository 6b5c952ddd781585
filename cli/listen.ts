import type { FastifyInstance } from 'fastify'
import { SteleError } from '../core/errors.ts'

/** Listens and turns EADDRINUSE into a message that names the flag to change. */
export async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
  flag: string,
): Promise<string> {
  try {
    return await app.listen({ host, port })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new SteleError(
        'STELE_CONFIG',
        `port ${port} is in use; pick another with ${flag} <port> (0 picks a free one)`,
        { cause: e },
      )
    throw e
  }
}
