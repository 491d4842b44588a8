import type { Schema } from '../codec/schema.js'
import { DatapactError } from '../errors.js'
import { invalidArgument } from '../internal/assert.js'
import type { StatePort } from './port.js'
import { State } from './state.js'

/** A rule: its argument schema and its state transition (writes) or read (queries). */
export interface RuleDefinition<A, R> {
  readonly args: Schema<A>
  readonly result: Schema<R>
  run(state: State, args: A): Promise<R>
}

export const defineRule = <A, R>(args: Schema<A>, result: Schema<R>, run: (state: State, args: A) => Promise<R>) =>
  ({ args, result, run }) as RuleDefinition<A, R>

/** Runs a rule over a port: checks the arguments first, so bad input never touches state. */
export async function runDefinition<A, R>(def: RuleDefinition<A, R>, port: StatePort, args: unknown): Promise<R> {
  const checked = checkArgs(def, args)
  return def.run(new State(port), checked)
}

/** Checks a call's arguments; anything but our own typed error (a throwing getter, say) becomes INVALID_INPUT. */
export function checkArgs<A>(def: RuleDefinition<A, unknown>, args: unknown): A {
  try {
    return def.args.check(args, 'args')
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw invalidArgument('args', 'the arguments of the rule', 'a value that throws when read')
  }
}
