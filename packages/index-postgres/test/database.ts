import { inject } from 'vitest'
import { createDatabase } from '../src/testing/index.js'

/** A fresh database on the run's server (one per test file, or per test that needs its own). */
export const freshDatabase = (): Promise<string> => createDatabase(inject('postgresUrl'))
