#!/usr/bin/env node
import { run } from './cli.js'

// Output piped into a reader that stops early (`datapact events | head`) is not an error.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw e
  })

// No top-level await: the bin is also built as CommonJS.
run(process.argv.slice(2)).then(code => {
  process.exitCode = code
})
