export * from './record-store';
export * from './state-journal';
export * from './storage-key';
export * from './sqlite-record-store';
export * from './pool-records';
export * from './state-dir';
