import type { FastifyError, FastifyInstance } from 'fastify'
import { SteleError } from '../../core/errors.ts'

/** Maps every failure to `{error:{code,message}}` with the code's status; fastify's own errors get Stele codes too. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | SteleError | Error, req, reply) => {
    if (err instanceof SteleError) {
      if (err.status >= 500) req.log.error({ err }, 'request failed')
      return reply.status(err.status).send({ error: err.toJSON() })
    }
    const fe = err as FastifyError
    if (fe.validation) {
      return reply.status(400).send({
        error: {
          code: 'STELE_BAD_REQUEST',
          message: `${fe.validationContext ?? 'request'} ${fe.message.replace(/^(querystring|params|body) /, '')}`,
        },
      })
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.status(413).send({ error: { code: 'STELE_PAYLOAD_TOO_LARGE', message: fe.message } })
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
      return reply.status(fe.statusCode).send({ error: { code: 'STELE_BAD_REQUEST', message: fe.message } })
    req.log.error({ err }, 'request failed')
    return reply
      .status(500)
      .send({ error: { code: 'STELE_INTERNAL', message: 'internal error; the node log has details' } })
  })
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({
      error: { code: 'STELE_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` },
    }),
  )
}
