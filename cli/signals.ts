import type { Logger } from 'pino'

/** Resolves on the first SIGINT or SIGTERM so the caller can close cleanly; a second one exits at once. */
export function untilSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (sig: string) => {
      logger.info({ signal: sig }, 'stopping (again to force)')
      process.once('SIGINT', () => process.exit(130))
      resolve()
    }
    process.once('SIGINT', () => onSignal('SIGINT'))
    process.once('SIGTERM', () => onSignal('SIGTERM'))
  })
}
