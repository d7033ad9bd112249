export * from './ports';
export * from './processes';
export * from './topology-harness';
export * from './http';
export * from './https';
export * from './redis-server';
export * from './hub-proxy';
export * from './prometheus';
