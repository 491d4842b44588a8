import { describe, expect, it } from 'vitest'
import { DatapactError, ERROR_CODES, LedgerError } from '../errors.js'
import { ERROR_STATUS, errorResponse, httpStatusOf, isRetryable } from './errors.js'

describe('error code -> HTTP status', () => {
  it('the table has exactly one entry for every error code (a new code fails here until it is mapped)', () => {
    expect(Object.keys(ERROR_STATUS).sort()).toEqual([...ERROR_CODES].sort())
    for (const code of ERROR_CODES) {
      const { status, retryable } = ERROR_STATUS[code]
      expect(Number.isInteger(status) && status >= 400 && status <= 599, code).toBe(true)
      expect(typeof retryable, code).toBe('boolean')
    }
  })

  it('maps refusals to 4xx, bad data to 502, an unreachable ledger to a retryable 503', () => {
    const of = (code: (typeof ERROR_CODES)[number]) => new DatapactError(code, 'm')
    expect(httpStatusOf(of('INVALID_INPUT'))).toBe(400)
    expect(httpStatusOf(of('NOT_FOUND'))).toBe(404)
    for (const code of ['ACCESS_DENIED', 'GRANT_REVOKED', 'GRANT_EXPIRED'] as const)
      expect(httpStatusOf(of(code))).toBe(403)
    expect(httpStatusOf(of('QUOTA_EXCEEDED'))).toBe(429)
    expect(httpStatusOf(of('INTEGRITY'))).toBe(502)
    const outage = new LedgerError('LEDGER_UNAVAILABLE', 'down', { ledger: 'evm' })
    expect([httpStatusOf(outage), isRetryable(outage)]).toEqual([503, true])
    expect(ERROR_CODES.filter(c => isRetryable(of(c)))).toEqual(['LEDGER_UNAVAILABLE'])
  })

  it('anything that is not a DatapactError is a non-retryable 500 whose message is not sent', () => {
    for (const e of [new Error('secret 0xdeadbeef'), 'text', undefined, { code: 'NOT_FOUND' }]) {
      expect(httpStatusOf(e)).toBe(500)
      expect(isRetryable(e)).toBe(false)
      expect(JSON.stringify(errorResponse(e))).not.toContain('deadbeef')
    }
  })

  it('errorResponse carries the code, message, details and retry flag', () => {
    const e = new DatapactError('GRANT_REVOKED', 'revoked', { details: { datasetId: 'ab' } })
    expect(errorResponse(e)).toEqual({
      status: 403,
      body: { code: 'GRANT_REVOKED', message: 'revoked', details: { datasetId: 'ab' }, retryable: false },
    })
  })
})
