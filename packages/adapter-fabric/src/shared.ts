// What the client shares with the chaincode: member ids, the event payload and the error text. Their one source is
// the chaincode package's `wire` module (`@datapact/chaincode/wire`); it is imported by path so that the build
// compiles it, and its types, into this package: the client neither depends on @datapact/chaincode nor installs or
// loads the chaincode runtime.
export {
  decodeEventPayload,
  decodeEvents,
  type EventPayload,
  eventName,
  fromBase64,
  MemberIdError,
  memberIdOf,
  parseWireError,
  toBase64,
} from '../../chaincode/src/wire.js'
