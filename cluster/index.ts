/** The cluster package's public surface: what the harness may use. */
export { startCluster, attachCluster, removeClusters, StartedCluster, ANALYTICS_DATABASE, type ClusterStatus, type ClusterCredentials } from './cluster.ts';
export { defineCluster, hostAddress, names, projectLabels, CLUSTER_LABEL, dropletIdOf, DEFAULTS, TIMING_PROFILES, APP_PROFILES, ENDPOINT_OPTIONS, type EndpointOption, type AppProfile, type ClusterOptions, type ClusterSpec, type NodeSpec, type ReplicationMode } from './spec.ts';
export { connectDocker, type StepReporter } from './docker/engine.ts';
export type { DockerClient, ExecResult } from './docker/docker-client.ts';
export { ImageBuilder, REPO_ROOT, type Images } from './images.ts';
export { type ClusterSnapshot, type NodeState, queryNode } from './observe.ts';
export { decide, chooseTarget, type Decision } from './endpoint/decide.ts';
export type { EndpointEvent } from './endpoint/controller.ts';
export type { EndpointView, EndpointState } from './endpoint/endpoint.ts';
export { ClusterWatcher, endpointChanges, type EndpointObservation } from './watcher.ts';
export * from './errors.ts';
export { createLogger, silentLogger, type Logger } from './lib/logger.ts';
export { waitFor } from './lib/wait-for.ts';
export type { DrillTarget, TargetSpec, TargetEndpoint, FaultKind, EndpointMover, NodeFaults, ClusterReads, EndpointWatch, AppHost } from './target.ts';
export { NODE_FAULTS, ONE_WAY_CHAIN } from './target.ts';
export { describeShape, type NetworkShape } from './net-shape.ts';
export { RemoteCluster, connectRemoteCluster } from './remote/remote-cluster.ts';
export { loadInventory, clusterFromInventory, KNOWN_TARGETS, type InventoryCluster } from './remote/inventory.ts';
