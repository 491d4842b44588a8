import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { writeRules } from './index.js'
import { REFUSALS, WRITE_REFUSALS } from './refusals.js'
import { renderWritesTable, WRITES_MARKERS, withWritesTable } from './refusalsDoc.js'

describe('WRITE_REFUSALS', () => {
  it('describes every write rule in exactly one row', () => {
    const described = WRITE_REFUSALS.flatMap(row => row.rules)
    expect([...described].sort()).toEqual(Object.keys(writeRules).sort())
  })

  it('names each refusal once, after the first rule of its row', () => {
    const ids = WRITE_REFUSALS.flatMap(row => row.refusals.map(r => r.id))
    expect(new Set(ids).size).toBe(ids.length)
    expect(REFUSALS.size).toBe(ids.length)
    for (const row of WRITE_REFUSALS) for (const r of row.refusals) expect(r.id.split('.')[0]).toBe(row.rules[0])
  })
})

describe('docs/rules.md', () => {
  const page = readFileSync(fileURLToPath(new URL('../../../../docs/rules.md', import.meta.url)), 'utf8')

  it('holds the Writes table exactly as WRITE_REFUSALS renders it (pnpm docs:rules renders it again)', () => {
    expect(withWritesTable(page)).toBe(page)
  })

  it('keeps the table under "## Writes", between its markers', () => {
    const section = page.split(/^## /m).find(s => s.startsWith('Writes\n'))
    expect(section).toContain(`${WRITES_MARKERS.start}\n\n${renderWritesTable()}\n\n${WRITES_MARKERS.end}`)
  })

  it('refuses a page without its markers', () => {
    expect(() => withWritesTable('# no table')).toThrow(WRITES_MARKERS.start)
    expect(() => withWritesTable(`${WRITES_MARKERS.end}\n${WRITES_MARKERS.start}`)).toThrow(WRITES_MARKERS.start)
  })
})
