/** docker-compose.generated.yml from a topology: one service per node plus Redis. */
import type { ClientPlan, NodePlan, Topology } from '../plan';
import { clientTlsPaths } from '../tls-files';
import {
  assertDeployable,
  COMPOSE_FILE,
  containerEnvironment,
  CONTAINER_TLS_DIR,
  generatedHeader,
  imageFlags,
  hostTlsDir,
  imageOf,
  readinessCheckScript,
  REDIS_IMAGE,
  REDIS_SERVICE,
  servesTls,
  sortedRecord,
  toYaml,
  usesBundledRedis,
  type DeployOptions,
} from './common';

export type ComposeOptions = DeployOptions;

/** Compose project name: fixes container and network names (dske-hank-1, dske_default). */
export const COMPOSE_PROJECT = 'dske';
/**
 * Published ports are bound to the host's loopback only: the ETSI API in lab
 * mode trusts any caller that names an SAE, so the laptop's network must not
 * reach it. ./manager and curl on the laptop use 127.0.0.1 anyway.
 */
export const COMPOSE_HOST_IP = '127.0.0.1';

const HEALTH_TIMING = { interval: '5s', timeout: '3s', retries: 30, start_period: '5s' };

interface ComposeService {
  [key: string]: unknown;
}

export function renderCompose(topology: Topology, options: ComposeOptions): string {
  assertDeployable(topology);
  const services: Record<string, ComposeService> = {};
  const bundledRedis = usesBundledRedis(topology);
  if (bundledRedis) services[REDIS_SERVICE] = redisService();
  // Hubs, then clients, in file order: ascending plan ports.
  for (const node of topology.nodes) services[node.name] = nodeService(topology, node, options, bundledRedis);
  const header = generatedHeader(
    'compose',
    options.sourceFile,
    `${topology.hubs.length} hubs, ${topology.clients.length} clients${bundledRedis ? ' and Redis' : ''}, one service each`,
    [],
    imageFlags(options.image),
  );
  const usage = [
    `# Run: docker compose -f ${COMPOSE_FILE} up --build -d`,
    `# Host ports follow the port plan (base_port ${topology.settings.base_port}) on ${COMPOSE_HOST_IP}, as with local processes.`,
    '',
  ].join('\n');
  return `${header}${usage}${toYaml({ name: COMPOSE_PROJECT, services })}`;
}

function nodeService(topology: Topology, node: NodePlan, options: ComposeOptions, bundledRedis: boolean): ComposeService {
  // Hubs need Redis for the share store; clients register with every hub at start.
  const dependsOn = node.kind === 'hub' ? (bundledRedis ? [REDIS_SERVICE] : []) : topology.hubs.map((h) => h.name);
  const service: ComposeService = {
    image: imageOf(options),
    build: { context: '.', dockerfile: 'docker/Dockerfile' },
    command: [node.kind],
    // PSRD previews stay visible in mgmt status on a laptop (DSKE_HIDE_PSRD unset), as with local processes.
    environment: containerEnvironment(topology, node),
    ports: [{ target: node.port, published: String(node.port), host_ip: COMPOSE_HOST_IP, protocol: 'tcp' }],
    healthcheck: { test: ['CMD', 'node', '-e', readinessCheckScript(node.port, servesTls(topology, node))], ...HEALTH_TIMING },
    restart: 'on-failure',
  };
  if (node.kind === 'client' && servesTls(topology, node)) service.volumes = tlsMounts(topology, node, options.sourceFile);
  if (dependsOn.length > 0) {
    service.depends_on = sortedRecord(Object.fromEntries(dependsOn.map((name) => [name, { condition: 'service_healthy' }])));
  }
  return service;
}

function redisService(): ComposeService {
  return {
    image: REDIS_IMAGE,
    // Shares are short-lived (share_timeout_secs): no snapshots, no append-only file.
    command: ['redis-server', '--save', '', '--appendonly', 'no'],
    healthcheck: { test: ['CMD', 'redis-cli', 'ping'], ...HEALTH_TIMING },
    restart: 'on-failure',
  };
}

/**
 * A TLS client sees its own certificate and key and the CA certificate (never
 * the CA key or other nodes' keys), read-only, where its DSKE_TLS_* variables
 * point. The host side is written relative to the compose file, which is
 * assumed to sit in the directory the topology file's path is relative to
 * (the repository root, or where ./manager runs).
 */
function tlsMounts(topology: Topology, client: ClientPlan, sourceFile: string): ComposeService[] {
  const host = clientTlsPaths(hostTlsDir(topology, sourceFile), client.name);
  const inContainer = clientTlsPaths(CONTAINER_TLS_DIR, client.name);
  return (['tls_cert', 'tls_key', 'tls_ca'] as const).map((key) => ({
    type: 'bind',
    source: composePath(host[key]),
    target: inContainer[key],
    read_only: true,
  }));
}

/** Relative bind sources start with ./ or ../ so no reader takes them for a named volume. */
function composePath(path: string): string {
  return path.startsWith('/') || path.startsWith('./') || path.startsWith('../') ? path : `./${path}`;
}
