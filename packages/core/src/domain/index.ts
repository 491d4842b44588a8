export type * from './events.js'
export type * from './types.js'
export { ADMISSION_RULES, ROLES, SCOPE_KINDS } from './types.js'
