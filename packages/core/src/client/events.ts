import type { LedgerEventRecord } from '../domain/index.js'
import type { LedgerAdapter } from '../ledger/index.js'

/** Every committed event, from the start, read page by page (of `pageSize`) from this member's node. */
export async function readAllEvents(ledger: LedgerAdapter, pageSize = 5000): Promise<LedgerEventRecord[]> {
  const out: LedgerEventRecord[] = []
  let after: string | null = null
  for (;;) {
    const page = await ledger.readEvents({ after, limit: pageSize })
    if (page.events.length === 0) return out
    out.push(...page.events)
    after = page.cursor
  }
}
