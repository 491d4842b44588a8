/**
 * IPFS payload store: `register` + `fetch` (streamed) of 1 GiB through the IPFS store on two Kubo nodes of a
 * private swarm, against the same through the file-system store in the same run, and the peak extra resident
 * memory of the client process. Builds Kubo first when it is not in the tool cache (see @datapact/store-ipfs).
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ensureKubo } from '../packages/store-ipfs/src/testing/kubo.js'
import type { BenchContext, BenchRow } from './run.js'
import { throughputRow } from './timing.js'

interface ChildReport {
  seconds: number
  extraMiB: number
  beforeMiB: number
  maxRssMiB: number
}

function child(ctx: BenchContext, kind: 'ipfs' | 'fs'): ChildReport {
  const run = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(ctx.root, 'bench/ipfs-child.ts'), kind],
    { cwd: ctx.root, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  )
  if (run.status !== 0) throw new Error(`ipfs-child ${kind} exited with ${run.status}: ${run.stderr.slice(-2000)}`)
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ChildReport
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  await ensureKubo({ log: ctx.log })
  ctx.log('register+fetch 1GiB fs (child process)')
  const fs = child(ctx, 'fs')
  ctx.log('register+fetch 1GiB ipfs (child process, two Kubo nodes)')
  const ipfs = child(ctx, 'ipfs')
  const GiB = 1024
  const value = GiB / ipfs.seconds
  const baseline = GiB / fs.seconds
  return [
    throughputRow(
      'register+fetch 1GiB ipfs',
      value,
      'MB/s',
      baseline,
      `1 GiB registered into one Kubo node and streamed back from another through the private swarm in ${ipfs.seconds.toFixed(1)} s; baseline: the same through FileSystemPayloadStore (${fs.seconds.toFixed(1)} s); higher is better, ratio = value/baseline`,
    ),
    {
      name: 'register+fetch 1GiB ipfs peak rss',
      value: ipfs.extraMiB,
      unit: 'MiB',
      baseline: fs.extraMiB,
      ratio: fs.extraMiB / ipfs.extraMiB,
      note: `extra resident memory of the client process (peak minus before; Kubo daemons not counted) for the ipfs row; baseline: the fs row's; lower is better, ratio = baseline/value; target: value <= 64`,
    },
  ]
}
