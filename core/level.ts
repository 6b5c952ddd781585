import { ClassicLevel, type DatabaseOptions } from 'classic-level'
import { SteleError } from './errors.ts'

export interface OpenLevelOptions<K, V> extends DatabaseOptions<K, V> {
  /** What the folder holds, for the error message ("gateway outbox", "node database"); default 'LevelDB'. */
  what?: string
}

/**
 * Opens a LevelDB folder. A folder another process (or another handle in this one) has open is reported as
 * such: LevelDB holds a LOCK file, and classic-level names that failure `LEVEL_LOCKED` on the open error's
 * cause. Every failure is a SteleError('STELE_STORAGE') carrying the original error as its cause.
 */
export async function openLevel<K = string, V = Uint8Array>(
  path: string,
  options: OpenLevelOptions<K, V> = {},
): Promise<ClassicLevel<K, V>> {
  const { what = 'LevelDB', ...levelOptions } = options
  const db = new ClassicLevel<K, V>(path, levelOptions)
  try {
    await db.open()
  } catch (cause) {
    const locked = levelCode(cause) === 'LEVEL_LOCKED'
    throw new SteleError(
      'STELE_STORAGE',
      locked
        ? `${what} folder ${path} is held by another process (its LevelDB lock is taken); stop that process or use another folder`
        : `cannot open the ${what} at ${path}: ${describe(cause)}`,
      { cause, details: { path, locked } },
    )
  }
  return db
}

/** classic-level wraps the binding's error: the open error says LEVEL_DATABASE_NOT_OPEN, its cause says why. */
function levelCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null
  const code = e?.cause?.code ?? e?.code
  return typeof code === 'string' ? code : undefined
}

function describe(err: unknown): string {
  const e = err as { message?: unknown; cause?: { message?: unknown } } | null
  return String(e?.cause?.message ?? e?.message ?? err)
}
