import type { RegisterResult } from '../../client/index.js'
import type { DatasetId, MemberId, Version } from '../../domain/index.js'
import { DatapactError, type DatapactErrorCode } from '../../errors.js'
import type { LedgerAdapter, SubmitResult } from '../../ledger/index.js'
import type { IndexStore } from '../../ledgerIndex/index.js'
import type { WriteArgs, WriteRuleName } from '../../rules/index.js'
import { REFUSALS, type RefusalId, WRITE_REFUSALS } from '../../rules/refusals.js'
import { fakeWrap, type Party, TERMS, testBytes, type World, type WorldOptions, world } from '../fixtures.js'
import type { LedgerHarness } from '../harness.js'
import { bindRunner, type ConformanceRunner } from '../runner.js'

/** Options of {@link describeLedgerConformance} and of each area suite. */
export interface ConformanceOptions {
  /** Per-test timeout in ms (real backends are slower than memory). Default 30 s. */
  timeout?: number
  /** Runs of the model-based random history. Default 8. */
  modelRuns?: number
  /** Runs of the random history that compares statements from the member-side index with a full replay. Default 4. */
  indexRuns?: number
  /**
   * Whether the backend fixes the genesis admin at deployment (the harness's first identity): adds the case that no
   * other identity can take the bootstrap.
   */
  genesisAdmin?: boolean
  /** The test runner's functions; default: the runner's globals (jest, or vitest with `globals: true`). */
  runner?: ConformanceRunner
  /**
   * Opens the member-side index of each party's client, by its label (default: a memory index per client): an
   * index store implementation runs the whole suite through its own store this way.
   */
  index?: (label: string) => IndexStore
}

/**
 * Declares the ledger conformance suite, or some of its areas, against one backend: the signature of
 * {@link describeLedgerConformance}.
 *
 * @param name - The backend's name, shown in test titles.
 * @param setup - Creates a fresh, empty ledger for each test.
 * @param options - Timeouts, run counts and the test runner.
 * @throws `Error` when no runner is given and the runner's globals (`describe`, `it`, `expect`, `beforeEach`,
 *   `afterEach`) are not defined. The tests themselves fail with the runner's assertion errors.
 */
export type ConformanceSuite = (name: string, setup: () => Promise<LedgerHarness>, options?: ConformanceOptions) => void

/**
 * What the areas of the suite share: the runner, the options, the running test's world and the helpers the cases
 * call. `w` and `h` are one object each for the whole suite, refilled before every test with that test's fresh
 * world and harness, so an area destructures them once.
 */
export interface ConformanceContext extends Required<ConformanceRunner> {
  /** The suite's options. */
  readonly options: ConformanceOptions
  /** The per-test timeout in ms. */
  readonly timeout: number
  /** Creates a fresh, empty ledger (the adapter's factory). */
  readonly setup: () => Promise<LedgerHarness>
  /** What every world of the suite is built with (the member-side index). */
  readonly worlds: WorldOptions
  /** The running test's world. */
  readonly w: World
  /** The running test's harness. */
  readonly h: Pick<LedgerHarness, 'member' | 'advanceTime'>
  /** Tears the running test's ledger down and gives the test a fresh ledger and world. */
  renew(): Promise<void>
  /** Asserts that `p` rejects with a Datapact error of `code`. */
  rejectsWith(p: Promise<unknown>, code: DatapactErrorCode): Promise<void>
  /**
   * Declares a case that checks refusals of docs/rules.md's "Writes" table ({@link WRITE_REFUSALS}): it fails unless,
   * for every refusal it names, one of its `rejectsWith` assertions saw that code come from the ledger itself, a
   * submit of one of the refusal's rules refused with it (a refusal the client makes before submitting counts not).
   */
  refuses(refusals: readonly [RefusalId, ...RefusalId[]], name: string, fn: () => Promise<void>, timeout?: number): void
  /** Registers a dataset of `data` (default 3000 bytes, one version) through `p`'s client (default the provider). */
  register(p?: Party, data?: Uint8Array, extra?: Record<string, unknown>): Promise<RegisterResult>
  /** Registers a dataset as {@link ConformanceContext.register} does and grants the consumer access to it. */
  granted(): Promise<DatasetId>
  /** Submits a publish of `v`'s payload as the next version straight to the ledger, bypassing the client. */
  rawPublish(p: Party, v: Version, changes?: Partial<WriteArgs['publishVersion']>): Promise<SubmitResult>
  /**
   * Submits a grant of every version to `grantee` straight to the ledger, bypassing the client's own checks: one
   * key wrap, for version 1 (a dataset {@link ConformanceContext.register} made).
   */
  rawGrant(
    p: Party,
    datasetId: DatasetId,
    grantee: MemberId,
    changes?: Partial<WriteArgs['grantAccess']>,
  ): Promise<SubmitResult>
}

/** The rules of each refusal's row of {@link WRITE_REFUSALS}: a submit of one of them is what refuses it. */
const RULES_OF: ReadonlyMap<RefusalId, readonly WriteRuleName[]> = /* @__PURE__ */ new Map(
  WRITE_REFUSALS.flatMap(row => row.refusals.map(r => [r.id, row.rules] as const)),
)

/** `rule code`: one refusal a ledger made. */
type LedgerRefusal = `${WriteRuleName} ${DatapactErrorCode}`

/**
 * `target` with `fn` in place of its method `key`; every other method bound to `target` (so an adapter's private
 * fields still work).
 */
function overriding<T extends object, K extends keyof T>(target: T, key: K, fn: T[K]): T {
  return new Proxy(target, {
    get: (o, prop) => {
      if (prop === key) return fn
      const v = Reflect.get(o, prop, o)
      return typeof v === 'function' ? v.bind(o) : v
    },
  })
}

/** Declares one area of the suite: its describe blocks and cases. */
export type ConformanceArea = (t: ConformanceContext) => void

/** A case declared with {@link ConformanceContext.refuses}: its title and the refusals it checks. */
export interface RefusalCase {
  name: string
  refusals: readonly RefusalId[]
}

/**
 * Declares `areas` in one `conformance: <name>` describe block, each test on a fresh ledger and world.
 *
 * @param onRefusalCase - Told of every refusal case as it is declared (how a test lists them without running them).
 */
export function declareConformance(
  areas: readonly ConformanceArea[],
  name: string,
  setup: () => Promise<LedgerHarness>,
  options: ConformanceOptions,
  onRefusalCase?: (c: RefusalCase) => void,
): void {
  const timeout = options.timeout ?? 30_000
  // The runner is injected (no vitest import at load time), so the suite loads in any test runner.
  const runner = bindRunner(options.runner, timeout)
  const { describe, it, expect, beforeEach, afterEach } = runner
  const worlds: WorldOptions = options.index ? { index: options.index } : {}
  let harness: LedgerHarness | undefined
  const w = {} as World
  const current = () => {
    if (!harness) throw new Error('the conformance world exists only while a test runs')
    return harness
  }
  const h: ConformanceContext['h'] = {
    member: label => current().member(label),
    advanceTime: seconds => current().advanceTime(seconds),
  }
  /** Every refusal a member ledger of the suite made, in order. */
  const refused: LedgerRefusal[] = []
  const watched = (ledger: LedgerAdapter): LedgerAdapter =>
    overriding(ledger, 'submit', async (rule, args) => {
      try {
        return await ledger.submit(rule, args)
      } catch (e) {
        if (e instanceof DatapactError) refused.push(`${rule} ${e.code}`)
        throw e
      }
    })
  /** The harness whose member ledgers tell the suite what they refuse. */
  const watchedSetup = async () => {
    const raw = await setup()
    return overriding(raw, 'member', async label => watched(await raw.member(label)))
  }
  const fresh = async () => {
    refused.length = 0
    harness = await watchedSetup()
    Object.assign(w, await world(harness, worlds))
  }
  /** What the running refusal case asserted the ledger refused, so far (undefined outside one). */
  let asserted: Set<LedgerRefusal> | undefined
  const t: ConformanceContext = {
    ...runner,
    options,
    timeout,
    setup: watchedSetup,
    worlds,
    w,
    h,
    renew: async () => {
      await current().teardown()
      await fresh()
    },
    rejectsWith: async (p, code) => {
      // A submit that `p` makes is refused before `p` itself rejects: the refusals from here on are its own.
      const from = refused.length
      await expect(p).rejects.toMatchObject({ name: expect.stringMatching(/Error$/), code })
      for (const r of refused.slice(from)) if (r.endsWith(` ${code}`)) asserted?.add(r)
    },
    refuses: (refusals, title, fn, caseTimeout) => {
      onRefusalCase?.({ name: title, refusals })
      it(
        title,
        async () => {
          const seen = new Set<LedgerRefusal>()
          asserted = seen
          try {
            await fn()
          } finally {
            asserted = undefined
          }
          const onLedger = (id: RefusalId) =>
            RULES_OF.get(id)!.some(rule => seen.has(`${rule} ${REFUSALS.get(id)!.code}`))
          expect({ notRefusedByTheLedger: refusals.filter(id => !onLedger(id)) }).toEqual({ notRefusedByTheLedger: [] })
        },
        caseTimeout,
      )
    },
    register: (p = w.provider, data = testBytes(3000), extra = {}) =>
      p.client.datasets.register({ title: 'Ticks', tags: ['finance'], terms: TERMS, data, chunkSize: 1024, ...extra }),
    granted: async () => {
      const { id } = await t.register()
      await w.provider.client.grants.grant(id, w.consumer.id)
      return id
    },
    rawPublish: (p, v, changes = {}) =>
      p.ledger.submit('publishVersion', {
        datasetId: v.datasetId,
        number: v.number + 1,
        plaintextDigest: v.plaintextDigest,
        merkleRoot: v.merkleRoot,
        size: v.size,
        chunkSize: v.chunkSize,
        chunkCount: v.chunkCount,
        header: v.header,
        keyCommitment: v.keyCommitment,
        location: v.location,
        wraps: [{ member: p.id, wrapped: fakeWrap() }],
        ...changes,
      }),
    rawGrant: (p, datasetId, grantee, changes = {}) =>
      p.ledger.submit('grantAccess', {
        datasetId,
        grantee,
        scope: { kind: 'all', version: 0 },
        expiresAt: null,
        maxAccesses: null,
        priceOverride: null,
        wraps: [{ version: 1, wrapped: fakeWrap() }],
        ...changes,
      }),
  }
  describe(`conformance: ${name}`, () => {
    beforeEach(fresh, timeout * 2)
    afterEach(async () => {
      await harness?.teardown()
    }, timeout)
    for (const area of areas) area(t)
  })
}

/**
 * The suite of `areas` alone, with the signature of {@link describeLedgerConformance}.
 *
 * @param areas - The areas, declared in this order.
 * @returns The suite.
 */
export const conformanceSuite =
  (...areas: ConformanceArea[]): ConformanceSuite =>
  (name, setup, options = {}) =>
    declareConformance(areas, name, setup, options)
