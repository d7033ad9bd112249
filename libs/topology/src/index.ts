export * from './nodes';
export * from './setting-render';
export * from './topology-error';
export type { ClientPlan, HubPlan, NodePlan, Topology, TopologySettings } from './plan';
export * from './config';
export * from './urls';
export * from './node-command';
export * from './deploy';
export * from './redis-url';
