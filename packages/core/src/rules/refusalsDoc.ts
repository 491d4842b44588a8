import { WRITE_REFUSALS, type WriteRefusals } from './refusals.js'

/** The comments docs/rules.md wraps its "Writes" table in. */
export const WRITES_MARKERS = { start: '<!-- rules:writes -->', end: '<!-- /rules:writes -->' } as const

/** A markdown table padded as prettier pads one: every cell to its column's width. */
function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map(r => r[i]!.length)))
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(header), line(widths.map(w => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

/**
 * The "Writes" table of docs/rules.md, rendered from {@link WRITE_REFUSALS}.
 *
 * @returns The markdown table, without a trailing newline.
 */
export function renderWritesTable(): string {
  const rows = WRITE_REFUSALS.map((row: WriteRefusals) => {
    const rule = [row.rules.map(r => `\`${r}\``).join(', '), row.qualifier].filter(Boolean).join(' ')
    const refused = row.refusals.map(r => (r.when ? `\`${r.code}\` ${r.when}` : `\`${r.code}\``)).join('; ')
    return [rule, row.who, row.note ? `${refused}. ${row.note}` : refused]
  })
  return markdownTable(['rule', 'who', 'refused with'], rows)
}

/**
 * The page `doc` with the rendered table between its {@link WRITES_MARKERS} (a blank line on either side).
 *
 * @param doc - The text of docs/rules.md.
 * @returns The text with the table as {@link renderWritesTable} renders it.
 * @throws `Error` when the page does not hold both markers, in order, once each.
 */
export function withWritesTable(doc: string): string {
  const [before, rest, ...more] = doc.split(WRITES_MARKERS.start)
  const [, after, ...more2] = (rest ?? '').split(WRITES_MARKERS.end)
  if (rest === undefined || after === undefined || more.length > 0 || more2.length > 0)
    throw new Error(`docs/rules.md must hold ${WRITES_MARKERS.start} and then ${WRITES_MARKERS.end}, once each`)
  return `${before}${WRITES_MARKERS.start}\n\n${renderWritesTable()}\n\n${WRITES_MARKERS.end}${after}`
}
