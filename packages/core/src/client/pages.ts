import { assertInteger, assertString, describe, invalidArgument } from '../internal/assert.js'

/** Most items one page of a list may hold. */
export const MAX_PAGE_LIMIT = 1000
/** Items per page when `limit` is not given. */
export const DEFAULT_PAGE_LIMIT = 100

/** The page options every paginated list takes. */
export interface PageOptions {
  /** The `cursor` of the previous page; absent for the first page. */
  cursor?: string
  /** Items per page, 1..{@link MAX_PAGE_LIMIT} (default {@link DEFAULT_PAGE_LIMIT}). */
  limit?: number
}

/** One page of a list. */
export interface Page<T> {
  /** The items, in the list's order. */
  items: T[]
  /** Pass as `cursor` to read the next page; null on the last page. */
  cursor: string | null
}

/** Checks the page options of a list: a cursor string (1..256 characters) or absent, an integer limit. */
export function checkPage(
  cursor: unknown,
  limit: unknown,
  path: string,
): { cursor: string | undefined; limit: number } {
  if (cursor !== undefined) assertString(cursor, `${path}.cursor`, 256, 1)
  if (limit !== undefined) assertInteger(limit, `${path}.limit`, 1, MAX_PAGE_LIMIT)
  return { cursor: cursor as string | undefined, limit: (limit as number | undefined) ?? DEFAULT_PAGE_LIMIT }
}

/**
 * Slices a page out of a whole list in a stable order: the cursor is the key of the previous page's last item,
 * refused (INVALID_INPUT) when no item of the list has it.
 */
export function pageByKey<T>(
  items: readonly T[],
  key: (x: T) => string,
  page: { cursor: string | undefined; limit: number },
  path: string,
): Page<T> {
  let start = 0
  if (page.cursor !== undefined) {
    const i = items.findIndex(x => key(x) === page.cursor)
    if (i < 0) throw invalidArgument(`${path}.cursor`, 'a cursor returned by the previous page', describe(page.cursor))
    start = i + 1
  }
  const slice = items.slice(start, start + page.limit)
  const more = start + slice.length < items.length
  return { items: slice, cursor: more && slice.length > 0 ? key(slice.at(-1)!) : null }
}

/** A copy of `items` sorted by a string key (code-unit order, the same on every node). */
export function sortedBy<T>(items: readonly T[], key: (x: T) => string): T[] {
  return [...items].sort((a, b) => {
    const x = key(a)
    const y = key(b)
    return x < y ? -1 : x > y ? 1 : 0
  })
}
