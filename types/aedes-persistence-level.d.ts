// aedes-persistence-level ships no types: it takes any abstract-level database and returns an aedes persistence.
declare module 'aedes-persistence-level' {
  import type { AedesOptions } from 'aedes'

  const levelPersistence: (db: unknown) => NonNullable<AedesOptions['persistence']>
  export default levelPersistence
}
