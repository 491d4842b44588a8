import { Interface } from 'ethers'
import { datapactAbi } from '../src/index.js'

const iface = new Interface(datapactAbi as unknown as string[])

/** The custom error a direct contract call reverts with, decoded: [name, first argument] (or 'no revert'). */
export async function revertOf(call: Promise<unknown>): Promise<[string, unknown]> {
  const e = (await call.then(
    () => undefined,
    err => err,
  )) as { data?: string } | undefined
  const parsed = e?.data ? iface.parseError(e.data) : null
  return [parsed?.name ?? 'no revert', parsed?.args[0]]
}
