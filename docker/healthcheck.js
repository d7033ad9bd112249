// HEALTHCHECK of the DSKE image: exits 0 when the node in this container
// answers 200 on /readyz. The port comes from DSKE_PORT (default 8100, the
// first hub); a node given DSKE_TLS_CERT serves HTTPS, and the check asks
// it without verifying the lab certificate (it only talks to itself, on
// loopback). Slim images have no curl, hence Node.
'use strict';

const tls = Boolean(process.env.DSKE_TLS_CERT);
const port = Number(process.env.DSKE_PORT || '8100');
const request = require(tls ? 'node:https' : 'node:http').get(
  { host: '127.0.0.1', port, path: '/readyz', timeout: 2500, ...(tls ? { rejectUnauthorized: false } : {}) },
  (response) => {
    response.resume();
    process.exit(response.statusCode === 200 ? 0 : 1);
  },
);
request.on('timeout', () => request.destroy(new Error('timeout')));
request.on('error', () => process.exit(1));
