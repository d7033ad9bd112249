import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_SETTINGS,
  clientArgs,
  COMPOSE_FILE,
  HUB_SETTINGS,
  hubArgs,
  loadTopology,
  NODE_NAME_ENV,
  parseTopology,
  readinessCheckScript,
  renderCompose,
  TopologyError,
  type NodeCommandOptions,
  type NodePlan,
  type SettingSpec,
  type Topology,
} from '../index';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
const SCHEMA_FILE = resolve(REPO_ROOT, '..', 'shared', 'schemas', 'compose-spec.json');
const HAVE_SCHEMA = existsSync(SCHEMA_FILE);
if (!HAVE_SCHEMA) {
  console.warn(`compose.spec: ${SCHEMA_FILE} is absent (no ../shared beside the repository), so the Compose Specification schema check is skipped; the semantic checks still run.`);
}

// The contract, spelled out here rather than imported, so that a change in the generator's constants shows up as a failure.
const SOURCE_FILE = 'dske-config.yaml';
const IMAGE = 'dske:latest';
const HOST_IP = '127.0.0.1';
const SECRETS_DIR = '/etc/dske/secrets';
const STATE_DIR = '/var/lib/dske';
const LAB_TLS_DIR = '/etc/dske/tls';
const TOPOLOGY_IN_CONTAINER = '/etc/dske/dske-config.yaml';
const BUNDLED_TEMPLATE = 'redis://{name}-redis:6379/0';
const SECURE_FILES = {
  tls_cert: `${SECRETS_DIR}/tls.crt`,
  tls_key: `${SECRETS_DIR}/tls.key`,
  tls_ca: `${SECRETS_DIR}/ca.crt`,
  mgmt_token_file: `${SECRETS_DIR}/mgmt.token`,
};
const redisService = (hub: string) => `${hub}-redis`;
const storeNetwork = (hub: string) => `${hub}-store`;
const stateVolume = (hub: string) => `${hub}-state`;
const redisDataVolume = (hub: string) => `${hub}-redis-data`;
const secretsVolume = (node: NodePlan) => `${node.kind}-${node.name}-secrets`;
/** The probe listener moves aside for a node whose own port is 9999. */
const healthPort = (node: NodePlan) => (node.port === 9999 ? 9998 : 9999);
const hubUrl = (template: string, hub: NodePlan) => template.replaceAll('{name}', hub.name).replaceAll('{index}', String(hub.index));

const doc = (...lines: string[]): string => `${lines.join('\n')}\n`;
const hubList = (n: number): string => `hubs: [${Array.from({ length: n }, (_, i) => `{name: hub${i + 1}}`).join(', ')}]`;

/** bundled: a Redis service per hub comes with the deployment; external: each hub's redis_url names a server of its own elsewhere. */
type Store = 'bundled' | 'external';
interface Case {
  store: Store;
  load: () => Topology;
}

/** The repository's topology and the other shapes the generator must handle. */
const TOPOLOGIES: Record<string, Case> = {
  'dske-config.yaml (5 hubs, 5 clients)': { store: 'bundled', load: () => loadTopology(resolve(REPO_ROOT, 'dske-config.yaml')) },
  '3 hubs, 2 clients': {
    store: 'bundled',
    load: () => parseTopology(doc('hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients:', '  - {name: carol, encryptors: [{name: sam}]}', '  - {name: curtis, encryptors: [{name: sunny}]}'), 't.yaml'),
  },
  '16 hubs, base_port 30000': {
    store: 'bundled',
    load: () => parseTopology(doc('base_port: 30000', 'min_nr_shares: 9', hubList(16), 'clients:', '  - {name: carol, encryptors: [{name: sam}]}', '  - {name: curtis, encryptors: [{name: sunny}, {name: susan}]}'), 't.yaml'),
  },
  'a client with no encryptors': {
    store: 'bundled',
    load: () => parseTopology(doc('min_nr_shares: 1', 'allow_single_share: true', 'hubs: [{name: hank}]', 'clients:', '  - {name: cindy}', '  - {name: corrie, encryptors: []}', '  - {name: carol, encryptors: [{name: sam}]}'), 't.yaml'),
  },
  'no clients, tuned settings': {
    store: 'bundled',
    load: () => parseTopology(doc('share_timeout_secs: 5', 'min_nr_shares: 2', 'get_psrd_block_size: 64', 'start_request_psrd_threshold: 100', 'stop_request_psrd_threshold: 300', 'hubs: [{name: hank}, {name: helen}]', 'clients: []'), 't.yaml'),
  },
  'a hub on port 9999 (the probe port)': {
    store: 'bundled',
    load: () => parseTopology(doc('base_port: 9995', hubList(5), 'clients: [{name: carol, encryptors: [{name: sam}]}]'), 't.yaml'),
  },
  'the bundled redis_url template, given explicitly': {
    store: 'bundled',
    load: () => parseTopology(doc(`redis_url: "${BUNDLED_TEMPLATE}"`, 'hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients: [{name: carol}]'), 't.yaml'),
  },
  'external Redis per hub ({name})': {
    store: 'external',
    load: () => parseTopology(doc('redis_url: "redis://{name}.cache.example.net:6380/2"', 'hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients: [{name: carol, encryptors: [{name: sam}]}]'), 't.yaml'),
  },
  'external Redis per hub ({index}, rediss, default port)': {
    store: 'external',
    load: () => parseTopology(doc('redis_url: "rediss://store-{index}.example.net/0"', 'hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients: [{name: carol}]'), 't.yaml'),
  },
  // A single URL is no shared store when there is only one hub.
  'one hub on a single external Redis': {
    store: 'external',
    load: () => parseTopology(doc('min_nr_shares: 1', 'allow_single_share: true', 'redis_url: redis://redis:6379/5', 'hubs: [{name: hank}]', 'clients: [{name: carol}]'), 't.yaml'),
  },
  'mutual TLS (tls_dir)': {
    store: 'bundled',
    load: () => parseTopology(doc('tls_dir: pki', 'hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients:', '  - {name: carol, encryptors: [{name: sam}]}', '  - {name: cindy}'), '/labs/net/dske-config.yaml'),
  },
};

const MODES = { secure: false, lab: true } as const;
type Mode = keyof typeof MODES;

interface Mount {
  type: string;
  source: string;
  target: string;
  read_only?: boolean;
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  user?: string;
  network_mode?: string;
  environment?: Record<string, string>;
  ports?: Array<{ target: number; published: string; host_ip: string; protocol: string }>;
  networks?: string[];
  volumes?: Mount[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}
interface ComposeFile {
  name: string;
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean }>;
  volumes?: Record<string, object>;
}

function render(topology: Topology, mode: Mode = 'secure'): { text: string; compose: ComposeFile } {
  const text = renderCompose(topology, { sourceFile: SOURCE_FILE, ...(MODES[mode] ? { lab: true } : {}) });
  return { text, compose: parse(text) as ComposeFile };
}

/** Every setting the node's command line would carry (same specs, same values), as its environment must have it. */
function expectedSettings(topology: Topology, node: NodePlan, lab: boolean): Map<SettingSpec, string> {
  // In a lab container the lab PKI directory sits at /etc/dske/tls; a secure deployment ignores tls_dir.
  const { tls_dir, ...settings } = topology.settings;
  const seen: Topology = { ...topology, settings: lab && tls_dir !== undefined ? { ...settings, tls_dir: LAB_TLS_DIR } : settings };
  const opts: NodeCommandOptions = {
    host: '0.0.0.0',
    hubHost: (name) => name,
    hubScheme: lab ? 'http' : 'https',
    redisUrl: topology.settings.redis_url ?? BUNDLED_TEMPLATE,
    extra: (n) => ({ health_port: healthPort(n), state_dir: STATE_DIR, ...(lab ? {} : SECURE_FILES) }),
  };
  const args = node.kind === 'hub' ? hubArgs(seen, node, opts) : clientArgs(seen, node, opts);
  const specs = node.kind === 'hub' ? HUB_SETTINGS : CLIENT_SETTINGS;
  const out = new Map<SettingSpec, string>();
  for (let i = 1; i < args.length; ) {
    const spec = specs.find((s) => s.flag === args[i]) ?? expect.unreachable(`unknown flag ${args[i]}`);
    let j = i + 1;
    while (j < args.length && !args[j].startsWith('--')) j++;
    out.set(spec, args.slice(i + 1, j).join(' '));
    i = j;
  }
  return out;
}

const json = (value: unknown): string => JSON.stringify(value);
const follows = (words: readonly string[] | undefined, flag: string, value: string): boolean => (words ?? []).some((w, i) => w === flag && words?.[i + 1] === value);

/** Every semantic rule the compose file must satisfy; returns the broken ones (empty when fine). */
function semanticProblems(topology: Topology, compose: ComposeFile, mode: Mode, store: Store): string[] {
  const problems: string[] = [];
  const same = (what: string, actual: unknown, expected: unknown) => {
    if (json(actual) !== json(expected)) problems.push(`${what}: ${json(actual)}, expected ${json(expected)}`);
  };
  const lab = MODES[mode];
  const bundled = store === 'bundled';
  const services = compose.services;
  const hubs = topology.hubs.map((h) => h.name);

  // What exists: the provisioning service first, then the hubs' Redis services, then the nodes in file order.
  same('project name', compose.name, 'dske');
  same('services', Object.keys(services), [...(lab ? [] : ['provision']), ...(bundled ? hubs.map(redisService) : []), ...topology.nodes.map((n) => n.name)]);
  same('networks', Object.keys(compose.networks ?? {}), ['nodes', ...(bundled ? hubs.map(storeNetwork) : [])]);
  for (const [name, network] of Object.entries(compose.networks ?? {})) {
    // A store network has no route out; the nodes' network must reach the host's published ports.
    if ((network?.internal === true) !== (name !== 'nodes')) problems.push(`network ${name}: internal=${network?.internal}`);
  }
  const volumes = [
    ...topology.nodes.map((n) => stateVolume(n.name)),
    ...(bundled ? hubs.map(redisDataVolume) : []),
    ...(lab ? [] : ['operator-secrets', ...topology.nodes.map(secretsVolume)]),
  ].sort();
  same('volumes', Object.keys(compose.volumes ?? {}), volumes);

  // Who shares what: apart from `nodes`, a network or volume belongs to one hub (and its Redis) or one node (and provision).
  const networkUsers = new Map<string, string[]>();
  const volumeUsers = new Map<string, string[]>();
  for (const [name, service] of Object.entries(services)) {
    for (const network of service.networks ?? []) {
      if (!(network in (compose.networks ?? {}))) problems.push(`${name}: joins ${network}, which is not declared`);
      networkUsers.set(network, [...(networkUsers.get(network) ?? []), name]);
    }
    for (const mount of service.volumes ?? []) {
      if (mount.type !== 'volume') continue;
      if (!(mount.source in (compose.volumes ?? {}))) problems.push(`${name}: mounts ${mount.source}, which is not declared`);
      volumeUsers.set(mount.source, [...(volumeUsers.get(mount.source) ?? []), name]);
    }
  }
  const usedBy = (what: string, users: Map<string, string[]>, key: string, expected: string[]) => same(`${what} ${key} used by`, [...(users.get(key) ?? [])].sort(), [...expected].sort());
  usedBy('network', networkUsers, 'nodes', topology.nodes.map((n) => n.name));
  for (const node of topology.nodes) usedBy('volume', volumeUsers, stateVolume(node.name), [node.name]);
  for (const hub of hubs) {
    if (!bundled) continue;
    usedBy('network', networkUsers, storeNetwork(hub), [hub, redisService(hub)]);
    usedBy('volume', volumeUsers, redisDataVolume(hub), [redisService(hub)]);
  }
  if (!lab) {
    usedBy('volume', volumeUsers, 'operator-secrets', ['provision']);
    for (const node of topology.nodes) usedBy('volume', volumeUsers, secretsVolume(node), ['provision', node.name]);
  }

  // Start order: credentials written before anyone starts, Redis healthy before its hub, hubs healthy before clients.
  for (const [name, service] of Object.entries(services)) {
    for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
      if (!(dep in services)) problems.push(`${name}: depends_on ${dep}, which is no service`);
      else if (dep === 'provision') {
        if (condition !== 'service_completed_successfully') problems.push(`${name}: depends_on provision with ${condition}`);
      } else {
        if (condition !== 'service_healthy') problems.push(`${name}: depends_on ${dep} with ${condition}`);
        if (services[dep].healthcheck === undefined) problems.push(`${name}: depends_on ${dep}, which has no healthcheck`);
      }
    }
  }

  const published = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => `${p.host_ip}:${p.published}`));
  if (new Set(published).size !== published.length) problems.push(`host ports not unique: ${published}`);

  if (!lab) {
    // One shot, no network, root only to hand the files to uid 1000; each node's volume under its own directory.
    const p = services.provision ?? {};
    same('provision: image', p.image, IMAGE);
    same('provision: command', p.command, ['manager', '--config', TOPOLOGY_IN_CONTAINER, 'provision', '--dir', '/provision', '--owner', '1000:1000']);
    same('provision: user', p.user, '0:0');
    same('provision: network_mode', p.network_mode, 'none');
    same('provision: networks, ports, depends_on', [p.networks, p.ports, p.depends_on], [undefined, undefined, undefined]);
    same('provision: restart', p.restart, 'no');
    same('provision: volumes', p.volumes, [
      { type: 'bind', source: `./${SOURCE_FILE}`, target: TOPOLOGY_IN_CONTAINER, read_only: true },
      { type: 'volume', source: 'operator-secrets', target: '/provision/operator' },
      ...topology.nodes.map((n) => ({ type: 'volume', source: secretsVolume(n), target: `/provision/${n.kind}-${n.name}` })),
    ]);
  }

  if (bundled) {
    for (const hub of hubs) {
      const name = redisService(hub);
      const r = services[name] ?? {};
      if (!r.image?.startsWith('redis:')) problems.push(`${name}: image ${r.image}`);
      // Listening on the default 6379 that REDIS_URL names, its append-only file on its own volume.
      if (r.command?.[0] !== 'redis-server' || r.command.includes('--port')) problems.push(`${name}: command ${r.command}`);
      if (!follows(r.command, '--dir', '/data') || !follows(r.command, '--appendonly', 'yes')) problems.push(`${name}: no append-only file in /data: ${r.command}`);
      // Every write fsynced: the hub's record of used PSRD must survive a power loss.
      if (!follows(r.command, '--appendfsync', 'always')) problems.push(`${name}: append-only file not fsynced at every write: ${r.command}`);
      same(`${name}: volumes`, r.volumes, [{ type: 'volume', source: redisDataVolume(hub), target: '/data' }]);
      same(`${name}: networks`, r.networks, [storeNetwork(hub)]);
      if (r.ports !== undefined) problems.push(`${name}: publishes ${json(r.ports)}`);
      if (r.healthcheck === undefined) problems.push(`${name}: no healthcheck`);
      same(`${name}: restart`, r.restart, 'on-failure');
    }
  }

  for (const node of topology.nodes) {
    const name = node.name;
    const service = services[name] ?? {};
    const env = service.environment ?? {};
    const probe = healthPort(node);
    same(`${name}: image`, service.image, IMAGE);
    same(`${name}: command`, service.command, [node.kind]);
    same(`${name}: restart`, service.restart, 'on-failure');
    same(`${name}: networks`, service.networks, node.kind === 'hub' && bundled ? ['nodes', storeNetwork(name)] : ['nodes']);
    same(`${name}: ports (the port plan)`, service.ports, [{ target: node.port, published: String(node.port), host_ip: HOST_IP, protocol: 'tcp' }]);
    const test = service.healthcheck?.test ?? [];
    same(`${name}: healthcheck`, test, ['CMD', 'bash', '-c', readinessCheckScript(probe)]);
    if (!test[3]?.includes(`/dev/tcp/127.0.0.1/${probe}`) || !test[3].includes('GET /readyz')) problems.push(`${name}: healthcheck does not ask /readyz on ${probe}`);
    same(`${name}: DSKE_NAME, DSKE_HOST, DSKE_PORT, DSKE_HEALTH_PORT`, [env[NODE_NAME_ENV], env.DSKE_HOST, env.DSKE_PORT, env.DSKE_HEALTH_PORT], [name, '0.0.0.0', String(node.port), String(probe)]);

    const deps = [...(node.kind === 'hub' ? (bundled ? [redisService(name)] : []) : hubs), ...(lab ? [] : ['provision'])].sort();
    same(`${name}: depends_on`, Object.keys(service.depends_on ?? {}), deps);

    // Mounts: the node's state volume, a secure node's own secrets, a lab TLS client's own files from tls_dir; nothing else.
    const mounts = service.volumes ?? [];
    const labTls = lab && node.kind === 'client' && topology.settings.tls_dir !== undefined;
    const expectedMounts = 1 + (lab ? 0 : 1) + (labTls ? 3 : 0);
    if (mounts.length !== expectedMounts) problems.push(`${name}: ${mounts.length} mounts, expected ${expectedMounts}`);
    if (!mounts.some((m) => json(m) === json({ type: 'volume', source: stateVolume(name), target: STATE_DIR }))) problems.push(`${name}: ${stateVolume(name)} not mounted at ${STATE_DIR}`);
    same(`${name}: DSKE_STATE_DIR`, env.DSKE_STATE_DIR, STATE_DIR);
    if (!lab) {
      if (!mounts.some((m) => json(m) === json({ type: 'volume', source: secretsVolume(node), target: SECRETS_DIR, read_only: true }))) problems.push(`${name}: ${secretsVolume(node)} not mounted read-only at ${SECRETS_DIR}`);
      const files = [env.DSKE_TLS_CERT, env.DSKE_TLS_KEY, env.DSKE_TLS_CA, env.DSKE_MGMT_TOKEN_FILE, env.DSKE_HIDE_PSRD];
      same(`${name}: secure files`, files, [SECURE_FILES.tls_cert, SECURE_FILES.tls_key, SECURE_FILES.tls_ca, SECURE_FILES.mgmt_token_file, '1']);
      if (mounts.some((m) => m.type === 'bind')) problems.push(`${name}: bind mounts in a secure deployment`);
    } else {
      for (const key of ['DSKE_HIDE_PSRD', 'DSKE_MGMT_TOKEN', 'DSKE_MGMT_TOKEN_FILE']) if (key in env) problems.push(`${name}: ${key} in a lab deployment`);
      // A lab TLS client's DSKE_TLS_* files are bind-mounted read-only from tls_dir: its own key and the CA certificate only.
      const tlsVars = ['DSKE_TLS_CERT', 'DSKE_TLS_KEY', 'DSKE_TLS_CA'].filter((v) => v in env);
      if (tlsVars.length !== (labTls ? 3 : 0)) problems.push(`${name}: TLS variables ${tlsVars}`);
      for (const v of tlsVars) {
        const mount = mounts.find((m) => m.target === env[v]);
        if (mount === undefined || !env[v].startsWith(`${LAB_TLS_DIR}/`)) problems.push(`${name}: ${v}=${env[v]} is not mounted`);
        else if (mount.type !== 'bind' || mount.read_only !== true || !/^\.\.?\//.test(mount.source) || mount.source.split('/').at(-1) !== env[v].split('/').at(-1)) {
          problems.push(`${name}: mount ${json(mount)}`);
        }
      }
      if (labTls && json(tlsVars.map((v) => env[v].split('/').at(-1))) !== json([`kme-${name}.crt`, `kme-${name}.key`, 'ca.crt'])) problems.push(`${name}: not its own TLS files`);
    }
    if (mounts.some((m) => m.source.endsWith('ca.key'))) problems.push(`${name}: the CA key is mounted`);

    // Environment complete: every setting with a value, as the node's command line would have it.
    const expected = expectedSettings(topology, node, lab);
    for (const [spec, value] of expected) {
      if (env[spec.env] !== value) problems.push(`${name}: ${spec.env}=${env[spec.env]}, expected ${value}`);
    }
    const known = new Set([NODE_NAME_ENV, ...(lab ? [] : ['DSKE_HIDE_PSRD']), ...[...expected.keys()].map((s) => s.env)]);
    for (const key of Object.keys(env)) if (!known.has(key)) problems.push(`${name}: unexpected variable ${key}`);

    if (node.kind === 'hub') {
      const redisUrl = hubUrl(topology.settings.redis_url ?? BUNDLED_TEMPLATE, node);
      if (env.REDIS_URL !== redisUrl) problems.push(`${name}: REDIS_URL=${env.REDIS_URL}, expected ${redisUrl}`);
      // The URL must reach this hub's own Redis service: its name, the port redis-server listens on.
      if (bundled && new URL(env.REDIS_URL ?? 'redis:').host !== `${redisService(name)}:6379`) problems.push(`${name}: ${env.REDIS_URL} does not reach ${redisService(name)}`);
    } else {
      // Every hub URL names a hub service and that hub's port, in topology order, https unless lab.
      const urls = (env.DSKE_HUBS ?? '').split(' ');
      if (urls.length !== hubs.length) problems.push(`${name}: ${urls.length} hub URLs for ${hubs.length} hubs`);
      urls.forEach((raw, i) => {
        const url = new URL(raw);
        const hub = services[url.hostname];
        if (url.protocol !== (lab ? 'http:' : 'https:')) problems.push(`${name}: ${raw} has the wrong scheme`);
        if (hub === undefined || hub.command?.[0] !== 'hub') problems.push(`${name}: ${raw} names no hub service`);
        else if (url.port !== hub.environment?.DSKE_PORT || Number(url.port) !== hub.ports?.[0].target) problems.push(`${name}: ${raw} is not the port of ${url.hostname}`);
        if (url.pathname !== `/hub/${url.hostname}` || url.hostname !== hubs[i]) problems.push(`${name}: ${raw} out of order or wrong path`);
      });
      same(`${name}: DSKE_ENCRYPTORS`, env.DSKE_ENCRYPTORS?.split(' ') ?? [], node.encryptors);
    }
  }
  return problems;
}

const cases = Object.entries(TOPOLOGIES).flatMap(([label, c]) => (Object.keys(MODES) as Mode[]).map((mode) => ({ label: `${label}, ${mode}`, mode, ...c })));

describe('renderCompose: the Compose Specification schema', () => {
  let validate: ValidateFunction;
  beforeAll(() => {
    if (!HAVE_SCHEMA) return;
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    delete schema.$schema;
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  });

  for (const { label, mode, load } of cases) {
    it.skipIf(!HAVE_SCHEMA)(`validates: ${label}`, () => {
      const { compose } = render(load(), mode);
      expect(validate(compose), JSON.stringify(validate.errors, null, 1)).toBe(true);
    });
  }

  it.skipIf(!HAVE_SCHEMA)('the top-level compose.yaml (for a plain `docker compose up`) validates and includes the generated file', () => {
    const entry = parse(readFileSync(resolve(REPO_ROOT, 'compose.yaml'), 'utf8')) as { include: string[] };
    expect(validate(entry), JSON.stringify(validate.errors, null, 1)).toBe(true);
    expect(entry.include).toEqual([COMPOSE_FILE]);
  });

  it.skipIf(!HAVE_SCHEMA)('the schema check has teeth: a bad condition and unknown keys (service, network) fail', () => {
    const { compose } = render(TOPOLOGIES['3 hubs, 2 clients'].load());
    const badCondition = structuredClone(compose);
    badCondition.services.carol.depends_on!.provision.condition = 'completed';
    expect(validate(badCondition)).toBe(false);
    const unknownKey = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    unknownKey.services.hank.healthcheck = { test: ['CMD', 'true'], retry: 3 };
    expect(validate(unknownKey)).toBe(false);
    const badNetwork = structuredClone(compose) as unknown as { networks: Record<string, Record<string, unknown>> };
    badNetwork.networks['hank-store'].isolated = true;
    expect(validate(badNetwork)).toBe(false);
  });
});

describe('renderCompose: semantics', () => {
  for (const { label, mode, store, load } of cases) {
    it(`holds together: ${label}`, () => {
      const topology = load();
      expect(semanticProblems(topology, render(topology, mode).compose, mode, store)).toEqual([]);
    });
  }

  it('the semantic checks have teeth', () => {
    const topology = TOPOLOGIES['3 hubs, 2 clients'].load();
    const broken = (edit: (c: ComposeFile) => void, mode: Mode = 'secure'): string => {
      const copy = structuredClone(render(topology, mode).compose);
      edit(copy);
      return semanticProblems(topology, copy, mode, 'bundled').join('\n');
    };
    expect(broken(() => undefined)).toBe('');
    expect(broken((c) => (c.services.carol.depends_on = { ...c.services.carol.depends_on, hugo: { condition: 'service_healthy' } }))).toContain('depends_on hugo, which is no service');
    expect(broken((c) => (c.services.hank.depends_on!.provision.condition = 'service_healthy'))).toContain('hank: depends_on provision with service_healthy');
    expect(broken((c) => delete c.services.curtis.depends_on!.provision)).toContain('curtis: depends_on');
    expect(broken((c) => (c.services.helen.ports![0].published = '8100'))).toContain('not unique');
    expect(broken((c) => (c.services.hank.healthcheck!.test[3] = readinessCheckScript(8100)))).toContain('does not ask /readyz on 9999');
    expect(broken((c) => (c.services.carol.environment!.DSKE_HUBS = c.services.carol.environment!.DSKE_HUBS.replace('helen:8101', 'helen:8102')))).toContain('not the port');
    expect(broken((c) => (c.services.carol.environment!.DSKE_HUBS = c.services.carol.environment!.DSKE_HUBS.replace('https://hank', 'https://hanke')))).toContain('names no hub');
    expect(broken((c) => (c.services.carol.environment!.DSKE_HUBS = c.services.carol.environment!.DSKE_HUBS.replace('https://hank', 'http://hank')))).toContain('wrong scheme');
    expect(broken((c) => delete c.services.curtis.environment!.DSKE_MIN_NR_SHARES)).toContain('DSKE_MIN_NR_SHARES');
    expect(broken((c) => delete c.services.helen.environment!.DSKE_HIDE_PSRD)).toContain('helen: secure files');
    // Two hubs on one Redis, by URL or by network; two hubs on one volume.
    expect(broken((c) => (c.services.hank.environment!.REDIS_URL = 'redis://helen-redis:6379/0'))).toContain('hank: REDIS_URL=redis://helen-redis:6379/0');
    expect(broken((c) => c.services.helen.networks!.push('hank-store'))).toContain('network hank-store used by');
    expect(broken((c) => (c.services.carol.networks = ['nodes', 'hank-store']))).toContain('network hank-store used by');
    expect(broken((c) => (c.services.helen.volumes![0].source = 'hank-state'))).toContain('volume hank-state used by');
    expect(broken((c) => (c.services.hank.volumes![1].source = 'hub-helen-secrets'))).toContain('hub-hank-secrets not mounted read-only');
    expect(broken((c) => delete c.services.hank.volumes![1].read_only)).toContain('hub-hank-secrets not mounted read-only');
    expect(broken((c) => (c.networks!['hank-store'] = {}))).toContain('network hank-store: internal=undefined');
    expect(broken((c) => (c.services['hank-redis'].ports = [{ target: 6379, published: '6379', host_ip: HOST_IP, protocol: 'tcp' }]))).toContain('hank-redis: publishes');
    expect(broken((c) => (c.services['hank-redis'].command = ['redis-server', '--save', '']))).toContain('hank-redis: no append-only file');
    expect(broken((c) => c.services['hank-redis'].networks!.push('nodes'))).toContain('network nodes used by');
    expect(broken((c) => (c.services.provision.network_mode = 'bridge'))).toContain('provision: network_mode');
    expect(broken((c) => c.services.provision.volumes!.pop())).toContain('provision: volumes');
    expect(broken((c) => delete c.volumes!['helen-redis-data'])).toContain('helen-redis: mounts helen-redis-data, which is not declared');
    // Lab files: no secure settings, each TLS client its own files only.
    expect(broken((c) => (c.services.hank.environment!.DSKE_HIDE_PSRD = '1'), 'lab')).toContain('hank: DSKE_HIDE_PSRD in a lab deployment');
    expect(broken((c) => (c.services.provision = {}), 'lab')).toContain('services:');
    const tls = TOPOLOGIES['mutual TLS (tls_dir)'].load();
    const labTls = structuredClone(render(tls, 'lab').compose);
    labTls.services.carol.volumes![1].source = './pki/kme-cindy.key';
    expect(semanticProblems(tls, labTls, 'lab', 'bundled').join('\n')).toContain('carol: mount');
  });

  it('gives every node the environment it needs (literal values)', () => {
    const topology = TOPOLOGIES['3 hubs, 2 clients'].load();
    const secure = render(topology).compose.services;
    expect(secure.hank.environment).toEqual({
      DSKE_HEALTH_PORT: '9999',
      DSKE_HIDE_PSRD: '1',
      DSKE_HOST: '0.0.0.0',
      DSKE_MGMT_TOKEN_FILE: '/etc/dske/secrets/mgmt.token',
      DSKE_NAME: 'hank',
      DSKE_PORT: '8100',
      DSKE_SHARE_TIMEOUT_SECS: '60',
      DSKE_STATE_DIR: '/var/lib/dske',
      DSKE_TLS_CA: '/etc/dske/secrets/ca.crt',
      DSKE_TLS_CERT: '/etc/dske/secrets/tls.crt',
      DSKE_TLS_KEY: '/etc/dske/secrets/tls.key',
      REDIS_URL: 'redis://hank-redis:6379/0',
    });
    expect(secure.curtis.environment).toEqual({
      DSKE_ENCRYPTORS: 'sunny',
      DSKE_GET_PSRD_BLOCK_SIZE: '1000',
      DSKE_HEALTH_PORT: '9999',
      DSKE_HIDE_PSRD: '1',
      DSKE_HOST: '0.0.0.0',
      DSKE_HUBS: 'https://hank:8100/hub/hank https://helen:8101/hub/helen https://hilary:8102/hub/hilary',
      DSKE_MGMT_TOKEN_FILE: '/etc/dske/secrets/mgmt.token',
      DSKE_MIN_NR_SHARES: '3',
      DSKE_NAME: 'curtis',
      DSKE_PORT: '8104',
      DSKE_START_REQUEST_PSRD_THRESHOLD: '500',
      DSKE_STATE_DIR: '/var/lib/dske',
      DSKE_STOP_REQUEST_PSRD_THRESHOLD: '2000',
      DSKE_TLS_CA: '/etc/dske/secrets/ca.crt',
      DSKE_TLS_CERT: '/etc/dske/secrets/tls.crt',
      DSKE_TLS_KEY: '/etc/dske/secrets/tls.key',
    });
    const lab = render(topology, 'lab').compose.services;
    expect(lab.helen.environment).toEqual({
      DSKE_HEALTH_PORT: '9999',
      DSKE_HOST: '0.0.0.0',
      DSKE_NAME: 'helen',
      DSKE_PORT: '8101',
      DSKE_SHARE_TIMEOUT_SECS: '60',
      DSKE_STATE_DIR: '/var/lib/dske',
      REDIS_URL: 'redis://helen-redis:6379/0',
    });
    expect(lab.carol.environment?.DSKE_HUBS).toBe('http://hank:8100/hub/hank http://helen:8101/hub/helen http://hilary:8102/hub/hilary');
    // The probe listener steps aside from a node that owns port 9999.
    const probe = render(TOPOLOGIES['a hub on port 9999 (the probe port)'].load()).compose.services;
    expect([probe.hub5.environment?.DSKE_PORT, probe.hub5.environment?.DSKE_HEALTH_PORT, probe.hub4.environment?.DSKE_HEALTH_PORT]).toEqual(['9999', '9998', '9999']);
    expect(probe.hub5.healthcheck?.test[3]).toMatch(/^exec 3<>\/dev\/tcp\/127\.0\.0\.1\/9998 && printf 'GET \/readyz HTTP\/1\.0/);
  });

  it('gives each hub a Redis, a store network and volumes of its own', () => {
    const { compose } = render(TOPOLOGIES['3 hubs, 2 clients'].load());
    expect(compose.services['hank-redis']).toEqual({
      image: 'redis:7.4-alpine',
      command: ['redis-server', '--dir', '/data', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
      networks: ['hank-store'],
      volumes: [{ type: 'volume', source: 'hank-redis-data', target: '/data' }],
      healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '5s', timeout: '3s', retries: 30, start_period: '5s' },
      restart: 'on-failure',
    });
    expect(compose.networks).toEqual({ nodes: {}, 'hank-store': { internal: true }, 'helen-store': { internal: true }, 'hilary-store': { internal: true } });
    expect(Object.keys(compose.volumes ?? {})).toEqual([
      'carol-state',
      'client-carol-secrets',
      'client-curtis-secrets',
      'curtis-state',
      'hank-redis-data',
      'hank-state',
      'helen-redis-data',
      'helen-state',
      'hilary-redis-data',
      'hilary-state',
      'hub-hank-secrets',
      'hub-helen-secrets',
      'hub-hilary-secrets',
      'operator-secrets',
    ]);
    expect(compose.services.hank.networks).toEqual(['nodes', 'hank-store']);
    expect(compose.services.hank.depends_on).toEqual({ 'hank-redis': { condition: 'service_healthy' }, provision: { condition: 'service_completed_successfully' } });
    expect(compose.services.hank.volumes).toEqual([
      { type: 'volume', source: 'hank-state', target: '/var/lib/dske' },
      { type: 'volume', source: 'hub-hank-secrets', target: '/etc/dske/secrets', read_only: true },
    ]);
    // Whatever a hub's container can reach besides `nodes`, no other hub can.
    const reach = (hub: string): string[] => {
      const own = compose.services[hub];
      const networks = (own.networks ?? []).filter((n) => n !== 'nodes');
      const peers = Object.entries(compose.services).filter(([, s]) => s.networks?.some((n) => networks.includes(n))).map(([name]) => name);
      return [...networks, ...(own.volumes ?? []).map((m) => m.source), ...peers];
    };
    const all = ['hank', 'helen', 'hilary'].map(reach);
    for (const [i, mine] of all.entries()) for (const theirs of all.slice(i + 1)) expect(mine.filter((x) => theirs.includes(x))).toEqual([]);
  });

  it('uses each hub\'s external Redis as the redis_url template names it, with no Redis services or store networks', () => {
    for (const mode of ['secure', 'lab'] as const) {
      const { compose } = render(TOPOLOGIES['external Redis per hub ({name})'].load(), mode);
      expect(Object.keys(compose.services).filter((s) => s.endsWith('-redis'))).toEqual([]);
      expect(compose.networks).toEqual({ nodes: {} });
      expect(['hank', 'helen', 'hilary'].map((h) => compose.services[h].environment?.REDIS_URL)).toEqual([
        'redis://hank.cache.example.net:6380/2',
        'redis://helen.cache.example.net:6380/2',
        'redis://hilary.cache.example.net:6380/2',
      ]);
      expect(compose.services.hank.networks).toEqual(['nodes']);
      expect(compose.services.hank.depends_on).toEqual(mode === 'lab' ? undefined : { provision: { condition: 'service_completed_successfully' } });
    }
    const byIndex = render(TOPOLOGIES['external Redis per hub ({index}, rediss, default port)'].load()).compose;
    expect(['hank', 'helen', 'hilary'].map((h) => byIndex.services[h].environment?.REDIS_URL)).toEqual(['rediss://store-0.example.net/0', 'rediss://store-1.example.net/0', 'rediss://store-2.example.net/0']);
    expect(renderCompose(TOPOLOGIES['external Redis per hub ({name})'].load(), { sourceFile: SOURCE_FILE }).split('\n')[0]).not.toContain('Redis');
  });

  it('a template that names NAME-redis over TLS or with credentials is an external store: the generated Redis speaks neither', () => {
    for (const template of ['rediss://{name}-redis:6379/0', 'redis://alice:pw@{name}-redis:6379/0']) {
      const { compose } = render(parseTopology(doc(`redis_url: ${template}`, 'min_nr_shares: 1', 'allow_single_share: true', 'hubs: [{name: hank}, {name: helen}]', 'clients: []'), 't.yaml'));
      expect(Object.keys(compose.services).filter((s) => s.endsWith('-redis'))).toEqual([]);
      expect(compose.services.hank.environment?.REDIS_URL).toBe(template.replace('{name}', 'hank'));
    }
  });

  it('counts one hub and one client in the singular in the header', () => {
    const text = renderCompose(parseTopology(doc('min_nr_shares: 1', 'allow_single_share: true', 'hubs: [{name: hank}]', 'clients: [{name: carol}]'), 't.yaml'), { sourceFile: SOURCE_FILE });
    expect(text.split('\n')[0]).toMatch(/: 1 hub each with a Redis of its own, 1 client\.$/);
  });

  it('the loader rejects the old single redis_url that would give every hub one store', () => {
    for (const [url, server] of [
      ['redis://cache.example.net:6380/2', 'cache.example.net:6380'],
      ['redis://redis:6379/5', 'redis:6379'],
    ]) {
      const text = doc(`redis_url: ${url}`, 'hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients: [{name: carol}]');
      const error = (() => {
        try {
          parseTopology(text, 't.yaml');
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(TopologyError);
      expect((error as TopologyError).code).toBe('shared-store');
      expect((error as TopologyError).field).toBe('redis_url');
      expect((error as TopologyError).message).toContain(`gives hubs hank and helen the same Redis server ${server}`);
    }
  });

  it('secure by default: a provisioning service writes each node\'s credentials into that node\'s own volume', () => {
    const { compose, text } = render(TOPOLOGIES['3 hubs, 2 clients'].load());
    expect(compose.services.provision).toEqual({
      image: 'dske:latest',
      build: { context: '.', dockerfile: 'docker/Dockerfile' },
      command: ['manager', '--config', '/etc/dske/dske-config.yaml', 'provision', '--dir', '/provision', '--owner', '1000:1000'],
      user: '0:0',
      network_mode: 'none',
      volumes: [
        { type: 'bind', source: './dske-config.yaml', target: '/etc/dske/dske-config.yaml', read_only: true },
        { type: 'volume', source: 'operator-secrets', target: '/provision/operator' },
        { type: 'volume', source: 'hub-hank-secrets', target: '/provision/hub-hank' },
        { type: 'volume', source: 'hub-helen-secrets', target: '/provision/hub-helen' },
        { type: 'volume', source: 'hub-hilary-secrets', target: '/provision/hub-hilary' },
        { type: 'volume', source: 'client-carol-secrets', target: '/provision/client-carol' },
        { type: 'volume', source: 'client-curtis-secrets', target: '/provision/client-curtis' },
      ],
      restart: 'no',
    });
    expect(compose.services.carol.volumes).toEqual([
      { type: 'volume', source: 'carol-state', target: '/var/lib/dske' },
      { type: 'volume', source: 'client-carol-secrets', target: '/etc/dske/secrets', read_only: true },
    ]);
    expect(compose.services.carol.depends_on).toEqual({
      hank: { condition: 'service_healthy' },
      helen: { condition: 'service_healthy' },
      hilary: { condition: 'service_healthy' },
      provision: { condition: 'service_completed_successfully' },
    });
    expect(text).toContain('\n#   docker compose -f docker-compose.generated.yml cp provision:/provision/operator ./dske-operator\n');
    expect(text).toContain('./manager --credentials dske-operator --url-base https://127.0.0.1 etsi-qkd sam ... get-key-pair');
  });

  it('lab files: no provisioning, no secrets, no token, plain HTTP', () => {
    const { compose } = render(TOPOLOGIES['3 hubs, 2 clients'].load(), 'lab');
    expect(compose.services.provision).toBeUndefined();
    expect(Object.keys(compose.volumes ?? {})).toEqual(['carol-state', 'curtis-state', 'hank-redis-data', 'hank-state', 'helen-redis-data', 'helen-state', 'hilary-redis-data', 'hilary-state']);
    expect(compose.services.carol.volumes).toEqual([{ type: 'volume', source: 'carol-state', target: '/var/lib/dske' }]);
    expect(compose.services.hank.volumes).toEqual([{ type: 'volume', source: 'hank-state', target: '/var/lib/dske' }]);
    expect(compose.services.hank.depends_on).toEqual({ 'hank-redis': { condition: 'service_healthy' } });
  });

  it('is deterministic and starts with a header naming the source, the mode and the regenerate command', () => {
    const topology = TOPOLOGIES['dske-config.yaml (5 hubs, 5 clients)'].load();
    const secure = renderCompose(topology, { sourceFile: 'dske-config.yaml' });
    expect(renderCompose(loadTopology(resolve(REPO_ROOT, 'dske-config.yaml')), { sourceFile: 'dske-config.yaml' })).toBe(secure);
    const lines = secure.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '# Generated by the DSKE deployment generator from dske-config.yaml: 5 hubs each with a Redis of its own, 5 clients.',
      '# Do not edit by hand: edit dske-config.yaml and regenerate with',
      '#   ./manager generate compose',
    ]);
    expect(lines[3]).toMatch(/^# Secure: every node serves HTTPS/);
    expect(secure).not.toContain('LAB MODE');
    expect(secure).not.toMatch(/\d{4}-\d\d-\d\dT/);

    const lab = renderCompose(topology, { sourceFile: 'dske-config.yaml', lab: true });
    expect(renderCompose(topology, { sourceFile: 'dske-config.yaml', lab: true })).toBe(lab);
    expect(lab.split('\n').slice(0, 4)).toEqual([
      '# Generated by the DSKE deployment generator from dske-config.yaml: LAB MODE, 5 hubs each with a Redis of its own, 5 clients.',
      '# Do not edit by hand: edit dske-config.yaml and regenerate with',
      '#   ./manager generate compose --lab',
      '# LAB MODE (generate --lab): plain HTTP; any caller names its SAE in the Authorization header; mgmt and oob are open;',
    ]);
    expect(lab).not.toContain('# Secure:');

    const other = renderCompose(topology, { sourceFile: 'lab/my topology.yaml', image: 'registry.example/dske:1.2' });
    expect(other).toContain("#   ./manager --config 'lab/my topology.yaml' generate compose --image registry.example/dske:1.2\n");
    const parsed = parse(other) as ComposeFile;
    expect([parsed.services.hank.image, parsed.services.carol.image, parsed.services.provision.image]).toEqual(Array(3).fill('registry.example/dske:1.2'));
    expect(parsed.services.provision.volumes?.[0]).toEqual({ type: 'bind', source: './lab/my topology.yaml', target: '/etc/dske/dske-config.yaml', read_only: true });
    expect(renderCompose(topology, { sourceFile: 'lab/my topology.yaml', image: 'registry.example/dske:1.2', lab: true })).toContain(
      "#   ./manager --config 'lab/my topology.yaml' generate compose --lab --image registry.example/dske:1.2\n",
    );
  });

  it('reads the same under YAML 1.1 and 1.2 (no bare no/on/yes, no base-60 values)', () => {
    for (const { mode, load } of cases) {
      const { text } = render(load(), mode);
      expect(parse(text, { version: '1.1' })).toEqual(parse(text, { version: '1.2' }));
    }
    // The values a YAML 1.1 reader would take for a boolean or a number stay strings.
    const old = parse(render(TOPOLOGIES['3 hubs, 2 clients'].load()).text, { version: '1.1' }) as ComposeFile;
    const redis = old.services['hank-redis'].command ?? [];
    expect([old.services.provision.restart, old.services.provision.user, redis[redis.indexOf('--appendonly') + 1]]).toEqual(['no', '0:0', 'yes']);
  });

  it('lab: mounts each TLS client\'s own files from tls_dir, relative to the compose file', () => {
    const { compose } = render(TOPOLOGIES['mutual TLS (tls_dir)'].load(), 'lab');
    expect(compose.services.carol.volumes).toEqual([
      { type: 'volume', source: 'carol-state', target: '/var/lib/dske' },
      { type: 'bind', source: './pki/kme-carol.crt', target: '/etc/dske/tls/kme-carol.crt', read_only: true },
      { type: 'bind', source: './pki/kme-carol.key', target: '/etc/dske/tls/kme-carol.key', read_only: true },
      { type: 'bind', source: './pki/ca.crt', target: '/etc/dske/tls/ca.crt', read_only: true },
    ]);
    expect(compose.services.carol.environment?.DSKE_TLS_KEY).toBe('/etc/dske/tls/kme-carol.key');
    expect(compose.services.hank.volumes).toEqual([{ type: 'volume', source: 'hank-state', target: '/var/lib/dske' }]);
    const nested = renderCompose(TOPOLOGIES['mutual TLS (tls_dir)'].load(), { sourceFile: 'labs/net/dske-config.yaml', lab: true });
    expect(nested).toContain('source: ./labs/net/pki/kme-cindy.key');
    expect(nested).not.toMatch(/source: \/labs/);
  });

  it('secure: tls_dir plays no part (each node\'s own provisioned files instead)', () => {
    const { compose, text } = render(TOPOLOGIES['mutual TLS (tls_dir)'].load());
    expect(text).not.toContain('pki');
    expect(text).not.toContain('/etc/dske/tls');
    expect(compose.services.carol.volumes).toEqual([
      { type: 'volume', source: 'carol-state', target: '/var/lib/dske' },
      { type: 'volume', source: 'client-carol-secrets', target: '/etc/dske/secrets', read_only: true },
    ]);
    expect(compose.services.carol.environment?.DSKE_TLS_CERT).toBe('/etc/dske/secrets/tls.crt');
  });

  it('rejects a node named like a generated service, as the loader reports topology problems', () => {
    const rejected: Array<[string, string, string]> = [
      [doc('hubs: [{name: hank}, {name: provision}, {name: hugo}]', 'clients: []'), 'hubs[1].name', "the name 'provision' is reserved for the provisioning service of the generated docker compose and Kubernetes deployments; rename this hub"],
      [doc('hubs: [{name: hank}, {name: helen}, {name: hugo}]', 'clients: [{name: carol}, {name: hank-redis}]'), 'clients[1].name', "the name 'hank-redis' is reserved for the Redis service of hub hank of the generated docker compose and Kubernetes deployments; rename this client"],
      [doc('hubs: [{name: hank}, {name: helen}, {name: helen-redis}]', 'clients: []'), 'hubs[2].name', "the name 'helen-redis' is reserved for the Redis service of hub helen"],
    ];
    for (const [text, field, reason] of rejected) {
      const topology = parseTopology(text, 'lab.yaml');
      for (const lab of [false, true]) {
        const error = (() => {
          try {
            renderCompose(topology, { sourceFile: 'lab.yaml', lab });
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(error).toBeInstanceOf(TopologyError);
        expect((error as TopologyError).code).toBe('invalid-name');
        expect((error as TopologyError).field).toBe(field);
        expect((error as TopologyError).message.startsWith(`lab.yaml: ${field}: ${reason}`), (error as TopologyError).message).toBe(true);
      }
    }
    // Without bundled Redis services a NAME-redis node clashes with nothing.
    const external = parseTopology(doc('redis_url: "redis://{name}.cache.example.net/0"', 'hubs: [{name: hank}, {name: helen}, {name: hugo}]', 'clients: [{name: hank-redis}]'), 'lab.yaml');
    expect((parse(renderCompose(external, { sourceFile: 'lab.yaml' })) as ComposeFile).services['hank-redis'].command).toEqual(['client']);
  });
});
