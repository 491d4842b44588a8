import { type World, world } from '@datapact/core/testing'
import { expect } from 'vitest'
import { createMemoryHarness, type MemoryLedger } from '../src/index.js'

/** A fresh memory ledger and the standard world on it (admin, provider, consumer, regulator). */
export async function memoryWorld(): Promise<{ w: World; ledger: MemoryLedger }> {
  const h = createMemoryHarness()
  return { w: await world(h), ledger: h.ledger }
}

/** Matches a typed error with this code. */
export const code = (c: string) => expect.objectContaining({ name: expect.stringMatching(/Error$/), code: c })
/** Matches INVALID_INPUT. */
export const invalid = code('INVALID_INPUT')
