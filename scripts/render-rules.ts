/**
 * Renders the "Writes" table of docs/rules.md from the refusal table in @datapact/core/rules (WRITE_REFUSALS):
 * `pnpm docs:rules`. packages/core/src/rules/refusals.test.ts fails while the page and the table differ.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { withWritesTable } from '../packages/core/src/rules/refusalsDoc.js'

const page = fileURLToPath(new URL('../docs/rules.md', import.meta.url))
const before = readFileSync(page, 'utf8')
const after = withWritesTable(before)
if (after === before) console.log('docs/rules.md: the Writes table is up to date')
else {
  writeFileSync(page, after)
  console.log('docs/rules.md: the Writes table was rendered again from WRITE_REFUSALS')
}
