import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import { DatapactError, ERROR_CODES, ERRORS_DOCS_URL, isDatapactError, isErrorCode, LedgerError } from './errors.js'

describe('DatapactError', () => {
  it('keeps code, details and cause', () => {
    const cause = new Error('boom')
    const e = new DatapactError('NOT_FOUND', 'dataset x not found', { details: { datasetId: 'x' }, cause })
    expect(e.code).toBe('NOT_FOUND')
    expect(e.details).toEqual({ datasetId: 'x' })
    expect(e.cause).toBe(cause)
    expect(Object.isFrozen(e.details)).toBe(true)
    expect(isDatapactError(e, 'NOT_FOUND')).toBe(true)
    expect(isDatapactError(e, 'CONFLICT')).toBe(false)
    expect(isDatapactError(new Error('x'))).toBe(false)
  })
  it('LedgerError names the ledger and transaction', () => {
    const e = new LedgerError('LEDGER_UNAVAILABLE', 'node down', { ledger: 'evm', transactionId: '0x1' })
    expect(e).toBeInstanceOf(DatapactError)
    expect([e.ledger, e.transactionId, e.code]).toEqual(['evm', '0x1', 'LEDGER_UNAVAILABLE'])
  })
  it('recognises codes', () => {
    expect(isErrorCode('QUOTA_EXCEEDED')).toBe(true)
    expect(isErrorCode('quota_exceeded')).toBe(false)
  })
})

describe('DatapactError across module copies', () => {
  it('is recognised by instanceof whichever copy of the class made it', async () => {
    vi.resetModules()
    const copy = await import('./errors.js')
    const foreign = new copy.DatapactError('CONFLICT', 'from another bundle')
    expect(copy.DatapactError).not.toBe(DatapactError)
    expect(foreign instanceof DatapactError).toBe(true)
    expect(isDatapactError(foreign, 'CONFLICT')).toBe(true)
    expect(new Error('plain') instanceof DatapactError).toBe(false)
    expect(new LedgerError('CLOSED', 'x', { ledger: 'memory' }) instanceof LedgerError).toBe(true)
    expect(new DatapactError('CLOSED', 'x') instanceof LedgerError).toBe(false)
    expect(new copy.LedgerError('CLOSED', 'x', { ledger: 'evm' }) instanceof LedgerError).toBe(true)
  })
})

describe('docs/errors.md', () => {
  const page = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8')
  // The anchors GitHub and TypeDoc give a heading: lower case, spaces as dashes.
  const sections = new Map<string, string>()
  for (const part of page.split(/^## /m).slice(1)) {
    const [heading = '', ...body] = part.split('\n')
    sections.set(heading.trim().toLowerCase().replaceAll(' ', '-'), body.join('\n'))
  }

  it.each(ERROR_CODES)('explains %s: what happened, what to do, and the table links it', code => {
    const e = new DatapactError(code, 'x')
    const anchor = e.docsPath.split('#')[1]!
    expect(e.docsPath).toBe(`docs/errors.md#${anchor}`)
    expect(e.docsUrl).toBe(`${ERRORS_DOCS_URL}#${anchor}`)
    const body = sections.get(anchor)
    expect(body, `docs/errors.md has no "## ${code}" section`).toBeDefined()
    expect(body).toContain('**What happened.**')
    expect(body).toContain('**What to do.**')
    expect(page).toMatch(new RegExp(`^\\| \\[${code}\\]\\(#${anchor}\\) +\\|`, 'm'))
  })

  it('documents no code that does not exist', () => {
    expect([...sections.keys()].sort()).toEqual(ERROR_CODES.map(c => c.toLowerCase()).sort())
  })

  it('keeps the link out of the enumerable fields (serialised errors stay as they were)', () => {
    const e = new LedgerError('CLOSED', 'closed', { ledger: 'memory' })
    expect(Object.keys(e)).not.toContain('docsPath')
    expect(e.docsPath).toBe('docs/errors.md#closed')
  })
})
