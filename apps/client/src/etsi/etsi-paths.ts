/**
 * Where the ETSI 014 API is mounted: at the root, where the standard puts it
 * (`https://{KME}/api/v1/keys/...`, section 5), and below the node's own
 * prefix (`/client/NAME/etsi/api/v1/keys/...`).
 */
export const ETSI_ROOT_PATH = 'api/v1/keys';
export const ETSI_PREFIXED_PATH = `etsi/${ETSI_ROOT_PATH}`;
