import { randomBytes } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { type FileHandle, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { EvmLedger } from '@datapact/adapter-evm'
import {
  type Datapact,
  DatapactError,
  type GrantOptions,
  generateMemberKeys,
  type LedgerEventRecord,
  lockKeystore,
  ROLES,
  type Role,
  type ScopeInput,
  type StatementParameters,
  toDatasetId,
  toMemberId,
  type UsageFilter,
  unlockKeystore,
} from '@datapact/core'
import { ensureMember, PASSPHRASE_ENV } from '@datapact/core/service'
import { Command, CommanderError, Option } from 'commander'
import { type CliConfig, type ConfigFlags, loadConfig, readConfig } from './config.js'
import { evmPrivateKey, openClient, openLedger } from './connect.js'
import { formatBytes, formatTime, type Io, printFields, printJson, printTable, progressBar } from './output.js'
import { CliError, describeError, exitCodeOf, readPassphrase } from './shared.js'

/** How {@link run} is called: arguments, environment, working directory and output streams. */
export interface RunOptions {
  /** The environment (default `process.env`). */
  env?: NodeJS.ProcessEnv
  /** The working directory (default `process.cwd()`). */
  cwd?: string
  /** Output streams (default the process's stdout and stderr). */
  io?: Io
}

interface GlobalOptions extends ConfigFlags {
  json?: boolean
  progress?: boolean
}

interface Context {
  env: NodeJS.ProcessEnv
  cwd: string
  io: Io
  opts: GlobalOptions
  config: () => CliConfig
  client: () => Promise<Datapact>
}

const usage = (message: string, hint?: string) => new CliError('USAGE', message, hint)

function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value) || Number(value) < 1 || Number(value) > max)
      throw usage(`${name} must be a whole number from 1 to ${max}, got "${value}"`)
    return Number(value)
  }
}
function wholeInt(name: string) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value)))
      throw usage(`${name} must be a whole number, got "${value}"`)
    return Number(value)
  }
}
function minorUnits(name: string) {
  return (value: string): bigint => {
    if (!/^[0-9]{1,30}$/.test(value))
      throw usage(`${name} must be a whole number of minor units (e.g. 100 for 1.00), got "${value}"`)
    return BigInt(value)
  }
}
function scopeOf(value: string): ScopeInput {
  if (value === 'all') return 'all'
  const m = /^(from|exactly):([1-9][0-9]*)$/.exec(value)
  if (!m) throw usage(`--scope must be all, from:<version> or exactly:<version>, got "${value}"`)
  return m[1] === 'from' ? { from: Number(m[2]) } : { exactly: Number(m[2]) }
}
function expiryOf(value: string): number {
  if (/^[0-9]+$/.test(value)) return Number(value)
  const rel = /^\+([0-9]+)([smhd])$/.exec(value)
  if (rel) {
    const mult = { s: 1, m: 60, h: 3600, d: 86400 }[rel[2] as 's' | 'm' | 'h' | 'd']
    return Math.floor(Date.now() / 1000) + Number(rel[1]) * mult
  }
  const t = Date.parse(value)
  if (Number.isNaN(t))
    throw usage(`--expires must be an ISO date, ledger seconds or +<n>[smhd] (e.g. +30d), got "${value}"`)
  return Math.floor(t / 1000)
}
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** A readable file's size, or a USAGE error that names it. */
async function inputFile(path: string): Promise<{ path: string; size: number }> {
  try {
    const s = await stat(path)
    if (!s.isFile()) throw usage(`${path} is not a file`)
    return { path, size: s.size }
  } catch (e) {
    if (e instanceof CliError) throw e
    throw usage(`${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'give the path of a file')
  }
}

/** A file system failure while writing an output, as an OUTPUT error; library errors pass through. */
function outputError(e: unknown, path: string): unknown {
  const errno = (e as NodeJS.ErrnoException | undefined)?.code
  if (e instanceof DatapactError || e instanceof CliError || typeof errno !== 'string') return e
  return new CliError(
    'OUTPUT',
    `${path} cannot be written (${errno})`,
    'check the path, its permissions and the free space',
  )
}

const short = (s: string) => (s.length > 20 ? `${s.slice(0, 10)}…${s.slice(-6)}` : s)

/** A one-line summary of a ledger event. */
function eventSummary(e: LedgerEventRecord['event']): string {
  switch (e.type) {
    case 'MemberJoined':
      return `${e.member} "${e.name}" (${e.roles.join(', ')})`
    case 'DatasetRegistered':
      return `${e.dataset.id} "${e.dataset.metadata.title}" by ${e.dataset.owner}`
    case 'VersionPublished':
      return `${e.version.datasetId} v${e.version.number} (${formatBytes(e.version.size)})`
    case 'AccessGranted':
      return `${e.grant.datasetId} to ${e.grant.grantee} (#${e.grant.seq})`
    case 'AccessRevoked':
      return `${e.datasetId} from ${e.grantee} (#${e.seq})`
    case 'UsageRecorded':
      return `${e.record.consumer} read ${e.record.datasetId} v${e.record.version}: ${e.record.amount} ${e.record.currency}`
    default:
      return ''
  }
}

/**
 * Builds the `datapact` command tree. Each command's action receives the shared {@link Context}.
 */
function program(ctx: Omit<Context, 'opts' | 'config' | 'client'>): Command {
  const root = new Command('datapact')
    .description('Operate a Datapact consortium member: keys, datasets, grants, fetches, bills and the audit.')
    .version(process.env.DATAPACT_CLI_VERSION ?? '0.0.0-source', '-V, --version')
    .option('-c, --config <file>', 'the member config file (default ./datapact.json, or DATAPACT_CONFIG)')
    .option('--keystore <file>', 'the keystore file (overrides the config)')
    .option('--ledger-file <file>', 'memory ledger: the ledger file (overrides the config)')
    .option('--member <id>', 'memory ledger: this member id (overrides the config)')
    .option('--rpc-url <url>', 'EVM: the JSON-RPC URL (overrides the config)')
    .option('--contract <address>', 'EVM: the Datapact contract address (overrides the config)')
    .option('--peer <host:port>', 'Fabric: the gateway peer (overrides the config)')
    .option('--json', 'print results as JSON (one document per line) for scripts')
    .option('--no-progress', 'do not draw progress bars')
    .addHelpText(
      'after',
      '\nThe passphrase of the keystore comes from DATAPACT_PASSPHRASE or a prompt.\nExit codes by error code: see docs/cli.md.',
    )
  root.exitOverride()
  root.configureOutput({
    writeOut: s => ctx.io.stdout.write(s),
    writeErr: s => ctx.io.stderr.write(s),
    outputError: () => {}, // printed by run() with the exit code table
  })

  /** Defines a command whose action gets a context; errors propagate to run(). */
  const cmd = (parent: Command, spec: string, description: string) => {
    const c = parent.command(spec).description(description)
    c.exitOverride()
    c.configureOutput({
      writeOut: s => ctx.io.stdout.write(s),
      writeErr: s => ctx.io.stderr.write(s),
      outputError: () => {},
    })
    return c
  }
  const withCtx =
    (fn: (c: Context, ...args: never[]) => Promise<void>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command
      const opts = command.optsWithGlobals() as GlobalOptions
      let config: CliConfig | undefined
      let client: Datapact | undefined
      const c: Context = {
        ...ctx,
        opts,
        config: () => {
          config ??= loadConfig(opts, ctx.env, ctx.cwd)
          return config
        },
        client: async () => {
          client ??= await openClient(c.config(), ctx.env)
          return client
        },
      }
      try {
        await fn(c, ...(args.slice(0, -1) as never[]))
      } finally {
        await client?.close().catch(() => undefined)
      }
    }
  const out = (c: Context, json: unknown, human: () => void) => (c.opts.json ? printJson(c.io, json) : human())
  const bars = (c: Context) => c.opts.progress !== false && !c.opts.json

  // ---- config ----
  const config = cmd(root, 'config', 'Inspect the configuration.')
  cmd(config, 'check', 'Say what is wrong with the configuration, then try the ledger connection.')
    .option('--offline', 'only check the files, do not connect')
    .action(
      withCtx(async (c, o: { offline?: boolean }) => {
        const { config: cfg, problems } = readConfig(c.opts, c.env, c.cwd)
        const report: Record<string, unknown> = { ok: problems.length === 0, source: cfg?.source ?? null, problems }
        if (cfg && !o.offline) {
          try {
            const ledger = await openLedger(cfg, c.env)
            try {
              const me = await ledger.query('getMember', { member: ledger.memberId })
              report.ledger = { kind: cfg.ledger.kind, memberId: ledger.memberId, member: me?.status ?? 'not joined' }
            } finally {
              await ledger.close()
            }
          } catch (e) {
            report.ok = false
            report.ledger = { kind: cfg.ledger.kind, error: describeError(e) }
          }
          if (!existsSync(cfg.keystore)) {
            report.ok = false
            problems.push({
              field: 'keystore',
              message: `${cfg.keystore} does not exist: create it with datapact keys init`,
            })
          } else if (c.env[PASSPHRASE_ENV]) {
            try {
              await unlockKeystore(await readFile(cfg.keystore, 'utf8'), c.env[PASSPHRASE_ENV])
            } catch (e) {
              report.ok = false
              problems.push({ field: 'keystore', message: `cannot be unlocked: ${describeError(e).message}` })
            }
          }
        }
        out(c, report, () => {
          c.io.stdout.write(cfg?.source ? `config: ${cfg.source}\n` : 'config: (none; env and flags only)\n')
          for (const p of problems) c.io.stdout.write(`  ✗ ${p.field}: ${p.message}\n`)
          const l = report.ledger as { kind: string; memberId?: string; member?: string; error?: { message: string } }
          if (l?.error) c.io.stdout.write(`  ✗ ledger (${l.kind}): ${l.error.message}\n`)
          else if (l) c.io.stdout.write(`  ✓ ledger (${l.kind}) reached as ${l.memberId} (${l.member})\n`)
          c.io.stdout.write(report.ok ? 'configuration OK\n' : 'configuration has problems (see above)\n')
        })
        if (!report.ok)
          throw new CliError('CONFIG', 'the configuration has problems', 'fix the fields listed above (docs/cli.md)')
      }),
    )

  // ---- keys ----
  const keys = cmd(root, 'keys', "Manage this member's keystore.")
  cmd(keys, 'init', 'Create the keystore: fresh member keys encrypted under a passphrase.')
    .option('--force', 'replace an existing keystore (its keys are lost)')
    .addOption(
      new Option('--scrypt-n <N>', 'scrypt cost, a power of two (default 131072; lower only for tests)').argParser(
        positiveInt('--scrypt-n', 2 ** 20),
      ),
    )
    .action(
      withCtx(async (c, o: { force?: boolean; scryptN?: number }) => {
        const cfg = c.config()
        if (existsSync(cfg.keystore) && !o.force)
          throw new DatapactError('CONFLICT', `the keystore ${cfg.keystore} exists already`, {
            details: { argument: 'keystore' },
          })
        const passphrase = await readPassphrase(c.env, `New passphrase for ${cfg.keystore}: `, true)
        const memberKeys = generateMemberKeys()
        const json = await lockKeystore(memberKeys, passphrase, o.scryptN ? { N: o.scryptN } : undefined)
        const tmp = `${cfg.keystore}.${randomBytes(4).toString('hex')}.tmp`
        try {
          await writeFile(tmp, json, { mode: 0o600, flag: 'wx' })
          await rename(tmp, cfg.keystore)
        } catch (e) {
          await rm(tmp, { force: true })
          throw outputError(e, cfg.keystore)
        }
        const envelopeKey = Buffer.from(memberKeys.envelope.publicKey).toString('hex')
        out(c, { keystore: cfg.keystore, envelopeKey }, () =>
          printFields(c.io, [
            ['keystore', cfg.keystore],
            ['envelope key', envelopeKey],
          ]),
        )
      }),
    )

  // ---- whoami / join / deploy ----
  cmd(root, 'whoami', "Show this member's id and its record on the ledger.").action(
    withCtx(async c => {
      const ledger = await openLedger(c.config(), c.env)
      try {
        const member = await ledger.query('getMember', { member: ledger.memberId })
        out(c, { memberId: ledger.memberId, member }, () =>
          printFields(c.io, [
            ['member id', ledger.memberId],
            ['name', member?.name],
            ['roles', member?.roles.join(', ')],
            ['status', member?.status ?? 'not joined (datapact join)'],
          ]),
        )
      } finally {
        await ledger.close()
      }
    }),
  )
  cmd(root, 'join', 'Join the consortium (does nothing when already a member).')
    .requiredOption('--name <name>', 'display name')
    .addOption(new Option('--role <role...>', 'roles asked for').choices(ROLES).makeOptionMandatory())
    .action(
      withCtx(async (c, o: { name: string; role: Role[] }) => {
        const client = await c.client()
        const { member, joined } = await ensureMember(client, { name: o.name, roles: o.role })
        out(c, { joined, member }, () =>
          c.io.stdout.write(
            `${joined ? 'joined' : 'already a member'}: ${member.id} "${member.name}" (${member.roles.join(', ')})\n`,
          ),
        )
      }),
    )
  cmd(
    root,
    'deploy',
    'EVM only: deploy the Datapact contract and print its address (this account is the admin).',
  ).action(
    withCtx(async c => {
      const l = c.config().ledger
      if (l.kind !== 'evm') throw usage('deploy is for an EVM ledger', 'the config\'s ledger.kind must be "evm"')
      const ledger = await EvmLedger.deploy({ rpcUrl: l.rpcUrl, privateKey: evmPrivateKey(l, c.env) })
      try {
        out(c, { contract: ledger.address, deploymentBlock: ledger.deploymentBlock }, () =>
          c.io.stdout.write(
            `deployed at ${ledger.address} (block ${ledger.deploymentBlock}): put it in ledger.contract\n`,
          ),
        )
      } finally {
        await ledger.close()
      }
    }),
  )

  // ---- register / publish ----
  const publishOptions = (c: Command) =>
    c
      .option('--store <name>', 'payload store (default from the config: ledger)')
      .addOption(new Option('--chunk-size <bytes>', 'plaintext chunk size').argParser(positiveInt('--chunk-size')))
  const upload = async (
    c: Context,
    file: string,
    fn: (
      client: Datapact,
      data: AsyncIterable<Uint8Array>,
      onProgress: (p: { bytes: number }) => void,
    ) => Promise<unknown>,
  ) => {
    const input = await inputFile(resolve(c.cwd, file))
    if (input.size === 0) throw usage(`${file} is empty`, 'give a file with at least one byte')
    const client = await c.client()
    const bar = progressBar(c.io, 'encrypting', input.size, bars(c))
    try {
      return await fn(client, createReadStream(input.path), p => bar.update(p.bytes))
    } finally {
      bar.stop()
    }
  }
  publishOptions(
    cmd(root, 'register <file>', 'Register a dataset with <file> as version 1 (streamed, encrypted, anchored).')
      .option('--title <title>', 'title (default the file name)')
      .option('--description <text>', 'description')
      .option('--tag <tag>', 'a tag (repeat for more)', collect)
      .option('--media-type <type>', 'media type (default application/octet-stream)')
      .requiredOption('--currency <code>', 'currency of the prices, e.g. CNY')
      .addOption(
        new Option('--price-per-access <minor>', 'price per access, minor units').argParser(
          minorUnits('--price-per-access'),
        ),
      )
      .addOption(
        new Option('--price-per-byte <minor>', 'price per byte, minor units').argParser(minorUnits('--price-per-byte')),
      )
      .option('--licence <text>', 'licence text')
      .option('--unlisted', 'keep it out of the catalog'),
  ).action(
    withCtx(
      async (
        c,
        file: string,
        o: {
          title?: string
          description?: string
          tag?: string[]
          mediaType?: string
          currency: string
          pricePerAccess?: bigint
          pricePerByte?: bigint
          licence?: string
          unlisted?: boolean
          store?: string
          chunkSize?: number
        },
      ) => {
        const r = (await upload(c, file, (client, data, onProgress) =>
          client.datasets.register({
            title: o.title ?? basename(file),
            ...(o.description !== undefined ? { description: o.description } : {}),
            ...(o.tag ? { tags: o.tag } : {}),
            ...(o.mediaType ? { mediaType: o.mediaType } : {}),
            terms: {
              currency: o.currency,
              ...(o.pricePerAccess !== undefined ? { pricePerAccess: o.pricePerAccess } : {}),
              ...(o.pricePerByte !== undefined ? { pricePerByte: o.pricePerByte } : {}),
              ...(o.licence !== undefined ? { licence: o.licence } : {}),
            },
            ...(o.unlisted ? { listed: false } : {}),
            ...(o.store ? { store: o.store } : {}),
            ...(o.chunkSize ? { chunkSize: o.chunkSize } : {}),
            data,
            onProgress,
          }),
        )) as Awaited<ReturnType<Datapact['datasets']['register']>>
        out(c, { id: r.id, dataset: r.dataset, version: r.version }, () =>
          printFields(c.io, [
            ['dataset', r.id],
            ['title', r.dataset.metadata.title],
            ['version', r.version?.number],
            ['size', r.version ? formatBytes(r.version.size) : undefined],
            ['chunks', r.version?.chunkCount],
          ]),
        )
      },
    ),
  )
  publishOptions(cmd(root, 'publish <dataset> <file>', 'Publish <file> as the next version of a dataset.')).action(
    withCtx(async (c, dataset: string, file: string, o: { store?: string; chunkSize?: number }) => {
      const v = (await upload(c, file, (client, data, onProgress) =>
        client.datasets.publish(toDatasetId(dataset, 'dataset'), data, {
          ...(o.store ? { store: o.store } : {}),
          ...(o.chunkSize ? { chunkSize: o.chunkSize } : {}),
          onProgress,
        }),
      )) as Awaited<ReturnType<Datapact['datasets']['publish']>>
      out(c, { version: v }, () =>
        printFields(c.io, [
          ['dataset', v.datasetId],
          ['version', v.number],
          ['size', formatBytes(v.size)],
          ['chunks', v.chunkCount],
        ]),
      )
    }),
  )

  // ---- catalog ----
  cmd(root, 'catalog', 'List the datasets in the catalog.')
    .option('--owner <member>', "only this owner's")
    .option('--tag <tag>', 'only with this tag')
    .option('--all', 'include unlisted datasets')
    .action(
      withCtx(async (c, o: { owner?: string; tag?: string; all?: boolean }) => {
        const client = await c.client()
        const list = await client.datasets.catalog({
          ...(o.owner ? { owner: toMemberId(o.owner, '--owner') } : {}),
          ...(o.tag ? { tag: o.tag } : {}),
          ...(o.all ? { includeUnlisted: true } : {}),
        })
        out(c, { datasets: list }, () =>
          printTable(
            c.io,
            ['dataset', 'title', 'owner', 'versions', 'price/access', 'price/byte', 'status'],
            list.map(d => [
              d.id,
              d.metadata.title,
              short(d.owner),
              d.latestVersion,
              `${d.terms.pricePerAccess} ${d.terms.currency}`,
              `${d.terms.pricePerByte} ${d.terms.currency}`,
              d.listed ? d.status : `${d.status}, unlisted`,
            ]),
            'the catalog is empty',
          ),
        )
      }),
    )

  // ---- grants ----
  const grantOptions = (c: Command) =>
    c
      .addOption(
        new Option('--scope <scope>', 'all, from:<version> or exactly:<version>').default('all').argParser(v => v),
      )
      .option('--expires <when>', 'expiry: an ISO date, ledger seconds or +<n>[smhd]')
      .addOption(new Option('--max-accesses <n>', 'most accesses allowed').argParser(positiveInt('--max-accesses')))
      .addOption(new Option('--price <minor>', 'price per access for this grantee').argParser(minorUnits('--price')))
  const toGrantOptions = (o: {
    scope: string
    expires?: string
    maxAccesses?: number
    price?: bigint
  }): GrantOptions => ({
    scope: scopeOf(o.scope),
    ...(o.expires !== undefined ? { expiresAt: expiryOf(o.expires) } : {}),
    ...(o.maxAccesses !== undefined ? { maxAccesses: o.maxAccesses } : {}),
    ...(o.price !== undefined ? { price: o.price } : {}),
  })
  const printGrants = (c: Context, grants: Array<Awaited<ReturnType<Datapact['grants']['grant']>>>) =>
    out(c, { grants }, () =>
      printTable(
        c.io,
        ['dataset', 'grantee', 'seq', 'state', 'used', 'max', 'expires'],
        grants.map(g => [
          short(g.datasetId),
          g.grantee,
          g.seq,
          'effectiveState' in g ? String(g.effectiveState) : g.state,
          g.used,
          g.maxAccesses ?? '∞',
          formatTime(g.expiresAt),
        ]),
        'no grants',
      ),
    )
  grantOptions(cmd(root, 'grant <dataset> <grantee>', 'Grant a member access to a dataset.')).action(
    withCtx(async (c, dataset: string, grantee: string, o: Parameters<typeof toGrantOptions>[0]) => {
      const options = toGrantOptions(o)
      const client = await c.client()
      printGrants(c, [
        await client.grants.grant(toDatasetId(dataset, 'dataset'), toMemberId(grantee, 'grantee'), options),
      ])
    }),
  )
  grantOptions(cmd(root, 'grant-many <dataset> <grantees...>', 'Grant several members access in one go.')).action(
    withCtx(async (c, dataset: string, grantees: string[], o: Parameters<typeof toGrantOptions>[0]) => {
      const options = toGrantOptions(o)
      const client = await c.client()
      const ids = grantees.map((g, i) => toMemberId(g, `grantees[${i}]`))
      printGrants(c, await client.grants.grantMany(toDatasetId(dataset, 'dataset'), ids, options))
    }),
  )
  cmd(root, 'revoke <dataset> <grantee>', "Revoke a member's grant (it gets no future version).").action(
    withCtx(async (c, dataset: string, grantee: string) => {
      const client = await c.client()
      printGrants(c, [await client.grants.revoke(toDatasetId(dataset, 'dataset'), toMemberId(grantee, 'grantee'))])
    }),
  )
  cmd(root, 'grants', "List grants (of this member's datasets, and to this member).")
    .option('--dataset <id>', 'only of this dataset')
    .option('--grantee <member>', 'only to this member')
    .action(
      withCtx(async (c, o: { dataset?: string; grantee?: string }) => {
        const client = await c.client()
        const list = await client.grants.list({
          ...(o.dataset ? { datasetId: toDatasetId(o.dataset, '--dataset') } : {}),
          ...(o.grantee ? { grantee: toMemberId(o.grantee, '--grantee') } : {}),
        })
        printGrants(c, list)
      }),
    )

  // ---- fetch ----
  cmd(root, 'fetch <dataset>', 'Fetch a dataset to a file: streamed, verified against the ledger, metered.')
    .requiredOption('-o, --output <file>', 'where to write the plaintext')
    .addOption(
      new Option('--dataset-version <n>', 'the version to fetch (default the newest readable)').argParser(
        positiveInt('--dataset-version'),
      ),
    )
    .addOption(
      new Option('--max-amount <minor>', 'refuse if the access costs more').argParser(minorUnits('--max-amount')),
    )
    .option('--force', 'replace the output file if it exists')
    .action(
      withCtx(
        async (
          c,
          dataset: string,
          o: { output: string; datasetVersion?: number; maxAmount?: bigint; force?: boolean },
        ) => {
          const target = resolve(c.cwd, o.output)
          if (!existsSync(dirname(target)))
            throw usage(`the directory of ${o.output} does not exist`, 'create it first')
          if (existsSync(target) && !o.force)
            throw usage(`${o.output} exists already`, 'give another --output, or --force to replace it')
          const client = await c.client()
          // A failure leaves no half-written output: write a temporary file beside it, rename when verified. It is
          // created before the fetch, so an output that cannot be written fails before the access is metered.
          const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.part`)
          let file: FileHandle
          try {
            file = await open(tmp, 'wx', 0o600)
          } catch (e) {
            throw outputError(e, o.output)
          }
          let bar: ReturnType<typeof progressBar> | undefined
          let result: Awaited<ReturnType<Datapact['data']['stream']>>
          try {
            result = await client.data.stream(toDatasetId(dataset, 'dataset'), {
              ...(o.datasetVersion ? { version: o.datasetVersion } : {}),
              ...(o.maxAmount !== undefined ? { maxAmount: o.maxAmount } : {}),
              onProgress: p => {
                bar ??= progressBar(c.io, 'fetching  ', p.total ?? 0, bars(c))
                bar.update(p.bytes)
              },
            })
            await pipeline(Readable.from(result.stream), file.createWriteStream())
            await rename(tmp, target)
          } catch (e) {
            await file.close().catch(() => undefined)
            await rm(tmp, { force: true })
            throw outputError(e, o.output)
          } finally {
            bar?.stop()
          }
          const r = result.receipt
          out(c, { output: target, version: result.version, receipt: r }, () =>
            printFields(c.io, [
              ['written', target],
              ['version', result.version.number],
              ['size', formatBytes(result.version.size)],
              ['verified', 'Merkle root and SHA-256 match the ledger'],
              [
                'metered',
                r
                  ? `${r.record.amount} ${r.record.currency} (tx ${r.txId ?? 'recorded earlier'})`
                  : 'not metered (owner)',
              ],
            ]),
          )
        },
      ),
    )

  // ---- usage / statement / settle ----
  cmd(root, 'usage', "List usage records (this member's, as consumer or provider).")
    .option('--dataset <id>', 'only of this dataset')
    .option('--provider <member>', 'only billed by this provider')
    .option('--consumer <member>', 'only of this consumer')
    .addOption(new Option('--period <n>', 'only in this billing period').argParser(wholeInt('--period')))
    .action(
      withCtx(async (c, o: { dataset?: string; provider?: string; consumer?: string; period?: number }) => {
        const filter: UsageFilter = {
          ...(o.dataset ? { datasetId: toDatasetId(o.dataset, '--dataset') } : {}),
          ...(o.provider ? { provider: toMemberId(o.provider, '--provider') } : {}),
          ...(o.consumer ? { consumer: toMemberId(o.consumer, '--consumer') } : {}),
          ...(o.period !== undefined ? { period: o.period } : {}),
        }
        const client = await c.client()
        const records = await client.usage.list(filter)
        out(c, { records }, () =>
          printTable(
            c.io,
            ['when', 'dataset', 'version', 'consumer', 'provider', 'bytes', 'amount'],
            records.map(u => [
              formatTime(u.at),
              short(u.datasetId),
              u.version,
              short(u.consumer),
              short(u.provider),
              u.bytes,
              `${u.amount} ${u.currency}`,
            ]),
            'no usage records',
          ),
        )
      }),
    )
  const statementOptions = (c: Command) =>
    c
      .option('--provider <member>', 'the provider (default this member)')
      .option('--consumer <member>', 'the consumer (default this member)')
      .addOption(new Option('--period <n>', 'billing period (default the current one)').argParser(wholeInt('--period')))
      .option('--currency <code>', 'currency (needed when the period has several)')
  const toStatementParams = (o: { provider?: string; consumer?: string; period?: number; currency?: string }) => {
    if (!o.provider && !o.consumer) throw usage('give --provider (as the consumer) or --consumer (as the provider)')
    const p: StatementParameters = {
      ...(o.provider ? { provider: toMemberId(o.provider, '--provider') } : {}),
      ...(o.consumer ? { consumer: toMemberId(o.consumer, '--consumer') } : {}),
      ...(o.period !== undefined ? { period: o.period } : {}),
      ...(o.currency ? { currency: o.currency } : {}),
    }
    return p
  }
  statementOptions(cmd(root, 'statement', 'Compute the statement between a provider and a consumer.')).action(
    withCtx(async (c, o: Parameters<typeof toStatementParams>[0]) => {
      const params = toStatementParams(o)
      const client = await c.client()
      const st = await client.billing.statement(params)
      out(c, { statement: st }, () => {
        printFields(c.io, [
          ['provider', st.provider],
          ['consumer', st.consumer],
          ['period', `${st.period} (${formatTime(st.periodStart)} .. ${formatTime(st.periodEnd)})`],
          ['sequence', st.sequence],
          ['accesses', st.count],
          ['bytes', st.bytes],
          ['amount', `${st.amount} ${st.currency}`],
          ['digest', Buffer.from(st.digest).toString('hex')],
        ])
        printTable(
          c.io,
          ['when', 'dataset', 'version', 'bytes', 'amount'],
          st.rows.map(r => [formatTime(r.at), short(r.datasetId), r.version, r.bytes, `${r.amount} ${st.currency}`]),
          '(no rows)',
        )
      })
    }),
  )
  statementOptions(cmd(root, 'settle', 'Acknowledge the current statement on the ledger (both sides must).')).action(
    withCtx(async (c, o: Parameters<typeof toStatementParams>[0]) => {
      const params = toStatementParams(o)
      const client = await c.client()
      const st = await client.billing.statement(params)
      const s = await client.billing.settle(st)
      const settled = s.settledDigest !== null
      out(c, { statement: { ...st, rows: undefined }, settlement: s, settled }, () =>
        c.io.stdout.write(
          settled
            ? `settled: ${s.settledAmount} ${s.currency} for ${s.settledCount} accesses (both sides agreed)\n`
            : `acknowledged ${st.amount} ${st.currency} for ${st.count} accesses; waiting for the other side to settle\n`,
        ),
      )
    }),
  )

  // ---- audit ----
  cmd(root, 'audit', 'Replay the ledger and check every invariant; exits 20 on a violation.')
    .option('--payloads', 'also re-check every payload this member can read')
    .action(
      withCtx(async (c, o: { payloads?: boolean }) => {
        const client = await c.client()
        const report = await client.audit.verify(o.payloads ? { payloads: true } : {})
        out(c, { report }, () => {
          printFields(c.io, [
            ['events', report.events],
            ['datasets', report.datasets],
            ['versions', report.versions],
            ['usage records', report.usageRecords],
            ['payloads checked', report.payloadsChecked],
            ['violations', report.violations.length],
            ['result', report.ok ? 'CLEAN' : 'VIOLATIONS'],
          ])
          if (report.violations.length > 0)
            printTable(
              c.io,
              ['check', 'message'],
              report.violations.map(v => [v.check, v.message]),
              '',
            )
        })
        if (!report.ok)
          throw new CliError(
            'AUDIT_VIOLATIONS',
            `the audit found ${report.violations.length} violation(s)`,
            'report them to the consortium (the table above lists each)',
          )
      }),
    )

  // ---- events ----
  cmd(root, 'events', "Print the ledger's events; with --follow, keep printing new ones.")
    .option('--after <cursor>', 'start after this cursor (default from the beginning)')
    .addOption(new Option('--limit <n>', 'at most this many (without --follow)').argParser(positiveInt('--limit')))
    .option('--follow', 'keep following until interrupted')
    .addOption(
      new Option('--interval <ms>', 'poll interval with --follow').default(1000).argParser(positiveInt('--interval')),
    )
    .action(
      withCtx(async (c, o: { after?: string; limit?: number; follow?: boolean; interval: number }) => {
        const cfg = c.config()
        let cursor: string | null = o.after ?? null
        let printed = 0
        let stop = false
        const onSignal = () => {
          stop = true
        }
        process.once('SIGINT', onSignal)
        process.once('SIGTERM', onSignal)
        const print = (e: LedgerEventRecord) => {
          if (c.opts.json) printJson(c.io, e)
          else
            c.io.stdout.write(
              `${e.cursor.padStart(6)}  ${formatTime(e.at)}  ${e.event.type.padEnd(22)} ${eventSummary(e.event)}\n`,
            )
        }
        try {
          // Poll with readEvents: one code path for every ledger kind (the memory ledger rereads its file when
          // another process, another CLI command, wrote it).
          const ledger = await openLedger(cfg, c.env)
          try {
            while (!stop) {
              const limit = o.follow ? 1000 : Math.min(1000, (o.limit ?? Number.MAX_SAFE_INTEGER) - printed)
              if (limit <= 0) break
              const page = await ledger.readEvents({ after: cursor, limit })
              for (const e of page.events) print(e)
              printed += page.events.length
              cursor = page.cursor
              if (page.events.length > 0) continue
              if (!o.follow) break
              await new Promise(r => setTimeout(r, o.interval))
            }
          } finally {
            await ledger.close()
          }
        } finally {
          process.off('SIGINT', onSignal)
          process.off('SIGTERM', onSignal)
        }
        if (!c.opts.json && printed === 0 && !o.follow) c.io.stdout.write('no events\n')
      }),
    )
  return root
}

/**
 * Runs the `datapact` CLI with the given arguments and returns the exit status (0 on success; otherwise by error
 * code, see {@link EXIT_CODES}). Errors go to stderr: a message, what to do, and with `--json` one JSON line
 * `{ "error": { code, exitCode, message, hint, details } }`. Secrets (passphrases, private keys) never reach the
 * output.
 *
 * @param argv - The arguments after the program name, e.g. `['catalog', '--json']`.
 * @param options - Environment, working directory and output streams.
 * @returns The exit status.
 * @example
 * ```ts
 * process.exitCode = await run(process.argv.slice(2))
 * ```
 */
export async function run(argv: string[], options: RunOptions = {}): Promise<number> {
  const io: Io = options.io ?? { stdout: process.stdout, stderr: process.stderr }
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const json = argv.includes('--json')
  try {
    await program({ env, cwd, io }).parseAsync(argv, { from: 'user' })
    return 0
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0 // --help, --version
      return report(io, json, usage(e.message.replace(/^error: /, ''), 'run with --help for usage'))
    }
    return report(io, json, e)
  }
}

function report(io: Io, json: boolean, e: unknown): number {
  const d = describeError(e)
  if (json) io.stderr.write(`${JSON.stringify({ error: d })}\n`)
  else {
    io.stderr.write(`error [${d.code}]: ${d.message}\n`)
    if (d.hint) io.stderr.write(`  → ${d.hint}\n`)
  }
  return exitCodeOf(e)
}
