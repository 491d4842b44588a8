export type * from './events.js'
export type * from './types.js'
export { ROLES } from './types.js'
