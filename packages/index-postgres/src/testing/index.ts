/**
 * Test helpers of `@datapact/index-postgres`: find (or, as root on Debian, install) the PostgreSQL server binaries,
 * and run a throw-away server on 127.0.0.1 with a database per test file.
 * @packageDocumentation
 */

export {
  createDatabase,
  type EnsurePostgresOptions,
  ensurePostgres,
  findPostgres,
  type PostgresServer,
  type StartPostgresOptions,
  startPostgres,
} from './postgres.js'
