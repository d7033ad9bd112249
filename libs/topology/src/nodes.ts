/**
 * What the hub and client programs use of this library: their settings,
 * names, URLs redacted for logs and the file names of their secrets. Not the
 * topology file's reader (and with it the yaml package) nor the deployment
 * generators, which only the manager runs: the node bundles import this entry
 * (`@dske/topology/nodes`), so those stay out of every node, about 210 KB of
 * source V8 would keep for as long as the node runs.
 */
export * from './settings';
export * from './parse-setting';
export { validateClientSettings, type ClientSettingValues } from './client-rules';
export * from './names';
export { redactUrl } from './text';
export * from './tls-files';
export * from './provision-files';
