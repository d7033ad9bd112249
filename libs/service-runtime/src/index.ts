export * from './api-error';
export * from './error-filter';
export * from './raw-message';
export * from './node-lifecycle';
export * from './health';
export * from './bootstrap';
export * from './node-cli';
export * from './status.dto';
