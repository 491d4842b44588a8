import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CONSTANTS_FILE, renderConstants } from '../scripts/constants.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const read = (file: string) => readFileSync(`${root}/${file}`, 'utf8')

describe("the contract's limits and enums come from core", () => {
  it('contracts/DatapactConstants.sol is what core renders (rebuild after changing a limit)', () => {
    expect(read(CONSTANTS_FILE)).toBe(renderConstants())
  })

  it('the contract types no limit by hand', () => {
    const contract = read('contracts/Datapact.sol') + read('contracts/DatapactBase.sol')
    // Every length check names a generated constant, never a number.
    expect(contract).not.toMatch(/_checkText\([^,]+, *\d+, *\d+/)
    expect(contract).not.toMatch(/\.length *[<>]=? *\d{2,}/)
    expect(contract).not.toMatch(/constant _MAX_[A-Z_]+ = \d/)
  })
})
