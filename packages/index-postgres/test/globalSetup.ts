import type { TestProject } from 'vitest/node'
import { ensurePostgres, startPostgres } from '../src/testing/index.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The superuser connection string of the run's PostgreSQL server (database `postgres`). */
    postgresUrl: string
  }
}

/**
 * Finds the PostgreSQL server binaries (installing Debian's package when they are missing and this is root on
 * Debian), starts one throw-away server for the run, and stops it (removing its folder) at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binDir = await ensurePostgres({ log: line => console.log(`[index-postgres] ${line}`) })
  const server = await startPostgres({ binDir })
  project.provide('postgresUrl', server.url)
  return () => server.stop()
}
