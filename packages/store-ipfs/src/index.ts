/**
 * A Datapact payload store on IPFS: one Kubo node per member, a private swarm, pinning by entitlement.
 * @packageDocumentation
 */

export { IpfsPayloadStore, type IpfsPayloadStoreOptions } from './ipfsStore.js'
export {
  type PinningNode,
  type Replication,
  type ReplicationEvent,
  type ReplicationOptions,
  startReplication,
} from './replication.js'
export {
  applyPrivateSwarmConfig,
  generateSwarmKey,
  type PrivateSwarmConfigOptions,
  privateSwarmConfig,
  readPeerId,
  SWARM_KEY_FILE,
  type SwarmPeer,
} from './swarm.js'
