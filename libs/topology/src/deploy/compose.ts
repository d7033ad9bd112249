/**
 * docker-compose.generated.yml from a topology: one service per node, a Redis
 * of its own per hub on a network that only that hub joins, a volume per hub
 * for its storage key and, in a secure deployment, a one-shot provisioning
 * service that writes each node's certificate and mgmt token into a volume
 * of that node's own on first start.
 */
import type { ClientPlan, NodePlan, Topology } from '../plan';
import { CONTAINER_SECRETS_DIR, nodeSecretsDir, OPERATOR_DIR } from '../provision-files';
import { clientTlsPaths } from '../tls-files';
import {
  assertDeployable,
  COMPOSE_FILE,
  containerEnvironment,
  containerHealthPort,
  CONTAINER_STATE_DIR,
  CONTAINER_TLS_DIR,
  generatedHeader,
  hostTlsDir,
  hubRedisService,
  imageOf,
  optionFlags,
  PROVISION_SERVICE,
  readinessCheckScript,
  REDIS_IMAGE,
  servesTls,
  sortedRecord,
  toYaml,
  usesBundledRedis,
  type DeployOptions,
} from './common';

export type ComposeOptions = DeployOptions;

/** Compose project name: fixes container, network and volume names (dske-hank-1, dske_nodes, dske_hank-state). */
export const COMPOSE_PROJECT = 'dske';
/**
 * Published ports are bound to the host's loopback only: nothing but the
 * laptop itself reaches the nodes (in a lab deployment, the ETSI API trusts
 * any caller that names an SAE). ./manager and curl on the laptop use 127.0.0.1.
 */
export const COMPOSE_HOST_IP = '127.0.0.1';
/** The network the hubs and clients talk on; each hub's store network is separate. */
export const NODES_NETWORK = 'nodes';
/** Where the provisioning service sees the volumes it fills: PROVISION_ROOT/hub-hank, .../operator. */
export const PROVISION_ROOT = '/provision';
/** The containers' user (the image's `node`, uid 1000): owner of the files each node reads. */
const NODE_USER = '1000:1000';

const HEALTH_TIMING = { interval: '5s', timeout: '3s', retries: 30, start_period: '5s' };

interface ComposeService {
  [key: string]: unknown;
}

export const hubStoreNetwork = (hub: string) => `${hub}-store`;
/** Each node's own state (storage key; a client's or Redis-less hub's state file): NAME-state. */
export const nodeStateVolume = (node: string) => `${node}-state`;
export const redisDataVolume = (hub: string) => `${hub}-redis-data`;
export const nodeSecretsVolume = (node: NodePlan) => `${nodeSecretsDir(node.kind, node.name)}-secrets`;
export const OPERATOR_VOLUME = 'operator-secrets';

export function renderCompose(topology: Topology, options: ComposeOptions): string {
  assertDeployable(topology);
  const lab = options.lab === true;
  const bundledRedis = usesBundledRedis(topology);
  const services: Record<string, ComposeService> = {};
  const networks: Record<string, object> = { [NODES_NETWORK]: {} };
  const volumes: Record<string, object> = {};
  if (!lab) {
    services[PROVISION_SERVICE] = provisionService(topology, options);
    volumes[OPERATOR_VOLUME] = {};
    for (const node of topology.nodes) volumes[nodeSecretsVolume(node)] = {};
  }
  for (const node of topology.nodes) volumes[nodeStateVolume(node.name)] = {};
  for (const hub of topology.hubs) {
    if (!bundledRedis) continue;
    services[hubRedisService(hub.name)] = redisService(hub.name);
    // internal: no route out, and no other container joins it.
    networks[hubStoreNetwork(hub.name)] = { internal: true };
    volumes[redisDataVolume(hub.name)] = {};
  }
  // Hubs, then clients, in file order: ascending plan ports.
  for (const node of topology.nodes) services[node.name] = nodeService(topology, node, options, bundledRedis);
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  const what = `${count(topology.hubs.length, 'hub')}${bundledRedis ? ' each with a Redis of its own' : ''}, ${count(topology.clients.length, 'client')}`;
  const header = generatedHeader('compose', options.sourceFile, `${lab ? 'LAB MODE, ' : ''}${what}`, lab ? LAB_NOTES : secureNotes(topology), optionFlags(options));
  const usage = [
    `# Run: docker compose -f ${COMPOSE_FILE} up --build -d`,
    `# Host ports follow the port plan (base_port ${topology.settings.base_port}) on ${COMPOSE_HOST_IP}, as with local processes.`,
    '',
  ].join('\n');
  return `${header}${usage}${toYaml({ name: COMPOSE_PROJECT, services, networks, volumes: sortedRecord(volumes) })}`;
}

const LAB_NOTES = [
  'LAB MODE (generate --lab): plain HTTP; any caller names its SAE in the Authorization header; mgmt and oob are open;',
  'PSRD previews show in mgmt status. Only for a laptop; the default files are the secure ones.',
];

function secureNotes(topology: Topology): string[] {
  const sae = topology.clients.find((c) => c.encryptors.length > 0)?.encryptors[0] ?? 'SAE';
  return [
    `Secure: every node serves HTTPS with a certificate from a CA that service ${PROVISION_SERVICE} creates on first start, with the`,
    'node\'s own mgmt token; clients require SAE certificates (mutual TLS); hubs answer oob calls only to the client',
    'whose certificate the request names; no PSRD is shown. The operator\'s credentials (CA, SAE certificates, tokens):',
    `  docker compose -f ${COMPOSE_FILE} cp ${PROVISION_SERVICE}:${PROVISION_ROOT}/${OPERATOR_DIR} ./dske-operator`,
    `  ./manager --credentials dske-operator --url-base https://127.0.0.1 etsi-qkd ${sae} ... get-key-pair`,
  ];
}

function nodeService(topology: Topology, node: NodePlan, options: ComposeOptions, bundledRedis: boolean): ComposeService {
  const lab = options.lab === true;
  // A hub waits for its Redis; clients register with every hub at start; everyone waits for their credentials.
  const dependsOn: Record<string, { condition: string }> = {};
  if (node.kind === 'hub' && bundledRedis) dependsOn[hubRedisService(node.name)] = { condition: 'service_healthy' };
  if (node.kind === 'client') for (const hub of topology.hubs) dependsOn[hub.name] = { condition: 'service_healthy' };
  if (!lab) dependsOn[PROVISION_SERVICE] = { condition: 'service_completed_successfully' };
  const mounts: ComposeService[] = [];
  mounts.push({ type: 'volume', source: nodeStateVolume(node.name), target: CONTAINER_STATE_DIR });
  if (!lab) mounts.push({ type: 'volume', source: nodeSecretsVolume(node), target: CONTAINER_SECRETS_DIR, read_only: true });
  if (lab && node.kind === 'client' && servesTls(topology, node, true)) mounts.push(...tlsMounts(topology, node, options.sourceFile));
  const service: ComposeService = {
    image: imageOf(options),
    build: { context: '.', dockerfile: 'docker/Dockerfile' },
    command: [node.kind],
    environment: containerEnvironment(topology, node, { lab }),
    ports: [{ target: node.port, published: String(node.port), host_ip: COMPOSE_HOST_IP, protocol: 'tcp' }],
    networks: node.kind === 'hub' && bundledRedis ? [NODES_NETWORK, hubStoreNetwork(node.name)] : [NODES_NETWORK],
    healthcheck: { test: ['CMD', 'bash', '-c', readinessCheckScript(containerHealthPort(node))], ...HEALTH_TIMING },
    restart: 'on-failure',
  };
  if (mounts.length > 0) service.volumes = mounts;
  if (Object.keys(dependsOn).length > 0) service.depends_on = sortedRecord(dependsOn);
  return service;
}

/**
 * One hub's Redis: an append-only file on a volume of its own, fsynced at
 * every write (the hub's PSRD bookkeeping must survive a power loss, or bytes
 * could be used twice); records are sealed by the hub; no published port.
 */
function redisService(hub: string): ComposeService {
  return {
    image: REDIS_IMAGE,
    command: ['redis-server', '--dir', '/data', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
    networks: [hubStoreNetwork(hub)],
    volumes: [{ type: 'volume', source: redisDataVolume(hub), target: '/data' }],
    healthcheck: { test: ['CMD', 'redis-cli', 'ping'], ...HEALTH_TIMING },
    restart: 'on-failure',
  };
}

/**
 * Runs once per `up`: writes what is missing of the CA, each node's
 * certificate, key and mgmt token (into that node's own volume, owned by the
 * containers' user) and the operator's copy; no network at all.
 */
function provisionService(topology: Topology, options: ComposeOptions): ComposeService {
  const topologyInContainer = '/etc/dske/dske-config.yaml';
  return {
    image: imageOf(options),
    build: { context: '.', dockerfile: 'docker/Dockerfile' },
    command: ['manager', '--config', topologyInContainer, 'provision', '--dir', PROVISION_ROOT, '--owner', NODE_USER],
    // Root only to hand each node's files to the containers' user.
    user: '0:0',
    network_mode: 'none',
    volumes: [
      { type: 'bind', source: composePath(options.sourceFile), target: topologyInContainer, read_only: true },
      { type: 'volume', source: OPERATOR_VOLUME, target: `${PROVISION_ROOT}/${OPERATOR_DIR}` },
      ...topology.nodes.map((node) => ({ type: 'volume', source: nodeSecretsVolume(node), target: `${PROVISION_ROOT}/${nodeSecretsDir(node.kind, node.name)}` })),
    ],
    restart: 'no',
  };
}

/**
 * A lab TLS client sees its own certificate and key and the CA certificate
 * (never the CA key or other nodes' keys), read-only, where its DSKE_TLS_*
 * variables point. The host side is written relative to the compose file,
 * which is assumed to sit in the directory the topology file's path is
 * relative to (the repository root, or where ./manager runs).
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
