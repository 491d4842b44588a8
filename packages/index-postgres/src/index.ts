/**
 * The Datapact member-side index in PostgreSQL: pass a {@link PostgresIndexStore} as `index` to `Datapact.open`, and
 * statements and usage lists read only the records they return, resumed from the cursor stored in the database,
 * which the processes of a service can share.
 * @packageDocumentation
 */

export { PostgresIndexStore, type PostgresIndexStoreOptions } from './postgresIndexStore.js'
