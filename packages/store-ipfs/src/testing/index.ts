/**
 * Test helpers of `@datapact/store-ipfs`: build Kubo from the Go module proxy into a per-machine cache, and run
 * a private swarm of daemons on 127.0.0.1.
 * @packageDocumentation
 */

export { freePorts } from '@datapact/core/testing'
export { type EnsureKuboOptions, ensureKubo, KUBO_LIBP2P, KUBO_VERSION, kuboBinary, toolsDir } from './kubo.js'
export { type KuboNode, type KuboSwarm, type KuboSwarmOptions, startKuboSwarm } from './swarm.js'
