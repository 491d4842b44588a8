/**
 * The Datapact member-side index in SQLite: pass a {@link SqliteIndexStore} as `index` to `Datapact.open`, and
 * statements and usage lists read only the records they return, resumed from the cursor stored in the file.
 * @packageDocumentation
 */

export { SqliteIndexStore, type SqliteIndexStoreOptions } from './sqliteIndexStore.js'
