import type { LedgerEventRecord } from '../domain/index.js'
import type { LedgerAdapter } from '../ledger/index.js'

/** Every committed event, from the start, read page by page from this member's node. */
export async function readAllEvents(ledger: LedgerAdapter): Promise<LedgerEventRecord[]> {
  const out: LedgerEventRecord[] = []
  let after: string | null = null
  for (;;) {
    const page = await ledger.readEvents({ after, limit: 5000 })
    if (page.events.length === 0) return out
    out.push(...page.events)
    after = page.cursor
  }
}
