import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  COMPOSE_FILE,
  BUNDLED_REDIS_URL,
  CLIENT_SETTINGS,
  clientArgs,
  COMPOSE_HOST_IP,
  CONTAINER_TLS_DIR,
  containerTopology,
  HUB_SETTINGS,
  hubArgs,
  loadTopology,
  NODE_NAME_ENV,
  parseTopology,
  renderCompose,
  TopologyError,
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

const doc = (...lines: string[]): string => `${lines.join('\n')}\n`;
const hubList = (n: number): string => `hubs: [${Array.from({ length: n }, (_, i) => `{name: hub${i + 1}}`).join(', ')}]`;

/** The repository's topology and the other shapes the generator must handle. */
const TOPOLOGIES: Record<string, () => Topology> = {
  'dske-config.yaml (5 hubs, 5 clients)': () => loadTopology(resolve(REPO_ROOT, 'dske-config.yaml')),
  '3 hubs, 2 clients': () =>
    parseTopology(doc('hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients:', '  - {name: carol, encryptors: [{name: sam}]}', '  - {name: curtis, encryptors: [{name: sunny}]}'), 't.yaml'),
  '16 hubs, base_port 30000': () =>
    parseTopology(doc('base_port: 30000', 'min_nr_shares: 9', hubList(16), 'clients:', '  - {name: carol, encryptors: [{name: sam}]}', '  - {name: curtis, encryptors: [{name: sunny}, {name: susan}]}'), 't.yaml'),
  'a client with no encryptors': () =>
    parseTopology(doc('min_nr_shares: 1', 'hubs: [{name: hank}]', 'clients:', '  - {name: cindy}', '  - {name: corrie, encryptors: []}', '  - {name: carol, encryptors: [{name: sam}]}'), 't.yaml'),
  'no clients, tuned settings': () =>
    parseTopology(doc('share_timeout_secs: 5', 'min_nr_shares: 2', 'get_psrd_block_size: 64', 'start_request_psrd_threshold: 100', 'stop_request_psrd_threshold: 300', 'hubs: [{name: hank}, {name: helen}]', 'clients: []'), 't.yaml'),
  'external redis_url': () =>
    parseTopology(doc('redis_url: redis://cache.example.net:6380/2', 'hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients: [{name: carol, encryptors: [{name: sam}]}]'), 't.yaml'),
  'mutual TLS (tls_dir)': () =>
    parseTopology(doc('tls_dir: pki', 'hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients:', '  - {name: carol, encryptors: [{name: sam}]}', '  - {name: cindy}'), '/labs/net/dske-config.yaml'),
  'redis_url on the redis service': () =>
    parseTopology(doc('redis_url: redis://redis:6379/5', 'hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients: [{name: carol}]'), 't.yaml'),
};

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: Array<{ target: number; published: string; host_ip: string; protocol: string }>;
  volumes?: Array<{ type: string; source: string; target: string; read_only: boolean }>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  name: string;
  services: Record<string, Service>;
}

function render(topology: Topology): { text: string; compose: ComposeFile } {
  const text = renderCompose(topology, { sourceFile: 'dske-config.yaml' });
  return { text, compose: parse(text) as ComposeFile };
}

/** The environment a node must get: every setting its command line would carry (same specs, same values). */
function expectedSettings(topology: Topology, node: NodePlan, redisUrl: string): Map<SettingSpec, string> {
  const opts = { host: '0.0.0.0', hubHost: (name: string) => name, redisUrl };
  // In the container the lab PKI directory sits at CONTAINER_TLS_DIR.
  const seen = containerTopology(topology);
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

/** Every semantic rule the compose file must satisfy; returns the broken ones (empty when fine). */
function semanticProblems(topology: Topology, compose: ComposeFile): string[] {
  const problems: string[] = [];
  const services = compose.services;
  const redisUrl = topology.settings.redis_url ?? BUNDLED_REDIS_URL;
  const bundledRedis = new URL(redisUrl).hostname === 'redis';

  const expectedNames = [...(bundledRedis ? ['redis'] : []), ...topology.nodes.map((n) => n.name)];
  if (JSON.stringify(Object.keys(services)) !== JSON.stringify(expectedNames)) problems.push(`services ${Object.keys(services)} != ${expectedNames}`);

  for (const [name, service] of Object.entries(services)) {
    for (const dep of Object.keys(service.depends_on ?? {})) {
      if (!(dep in services)) problems.push(`${name}: depends_on ${dep}, which is no service`);
      else if (services[dep].healthcheck === undefined) problems.push(`${name}: depends_on ${dep}, which has no healthcheck`);
      if (service.depends_on?.[dep].condition !== 'service_healthy') problems.push(`${name}: depends_on ${dep} without service_healthy`);
    }
    if (service.healthcheck === undefined) problems.push(`${name}: no healthcheck`);
  }

  const published = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => `${p.host_ip}:${p.published}`));
  if (new Set(published).size !== published.length) problems.push(`host ports not unique: ${published}`);

  for (const node of topology.nodes) {
    const service = services[node.name];
    const env = service.environment ?? {};
    if (JSON.stringify(service.command) !== JSON.stringify([node.kind])) problems.push(`${node.name}: command ${service.command}`);
    if (env[NODE_NAME_ENV] !== node.name) problems.push(`${node.name}: ${NODE_NAME_ENV}=${env[NODE_NAME_ENV]}`);
    if (env.DSKE_HOST !== '0.0.0.0') problems.push(`${node.name}: DSKE_HOST=${env.DSKE_HOST}`);
    if ('DSKE_HIDE_PSRD' in env) problems.push(`${node.name}: PSRD previews hidden on a laptop`);
    const ports = service.ports ?? [];
    if (ports.length !== 1 || ports[0].target !== node.port || ports[0].published !== String(node.port) || ports[0].host_ip !== COMPOSE_HOST_IP) {
      problems.push(`${node.name}: ports ${JSON.stringify(ports)} do not follow the port plan (${node.port})`);
    }
    const tls = node.kind === 'client' && topology.settings.tls_dir !== undefined;
    const asks = tls ? (part: string) => part.includes(`require('node:https')`) && part.includes(`port:${node.port},path:'/readyz'`) : (part: string) => part.includes(`http://127.0.0.1:${node.port}/readyz`);
    if (!service.healthcheck?.test.some(asks)) problems.push(`${node.name}: healthcheck does not ask /readyz on ${node.port}`);

    // A TLS client's DSKE_TLS_* files are bind-mounted read-only from tls_dir: its own key and the CA certificate only.
    const tlsVars = ['DSKE_TLS_CERT', 'DSKE_TLS_KEY', 'DSKE_TLS_CA'].filter((v) => v in env);
    if (tlsVars.length !== (tls ? 3 : 0)) problems.push(`${node.name}: TLS variables ${tlsVars}`);
    const volumes = service.volumes ?? [];
    if (volumes.length !== tlsVars.length) problems.push(`${node.name}: ${volumes.length} volumes`);
    for (const v of tlsVars) {
      const mount = volumes.find((m) => m.target === env[v]);
      if (mount === undefined || !env[v].startsWith(`${CONTAINER_TLS_DIR}/`)) problems.push(`${node.name}: ${v}=${env[v]} is not mounted`);
      else if (mount.type !== 'bind' || !mount.read_only || !/^\.\.?\//.test(mount.source) || mount.source.split('/').at(-1) !== env[v].split('/').at(-1)) {
        problems.push(`${node.name}: mount ${JSON.stringify(mount)}`);
      }
    }
    if (volumes.some((m) => m.source.endsWith('ca.key'))) problems.push(`${node.name}: the CA key is mounted`);

    // Environment complete: every setting with a value, as the node's command line would have it.
    const expected = expectedSettings(topology, node, redisUrl);
    for (const [spec, value] of expected) {
      if (env[spec.env] !== value) problems.push(`${node.name}: ${spec.env}=${env[spec.env]}, expected ${value}`);
    }
    const known = new Set([NODE_NAME_ENV, ...[...expected.keys()].map((s) => s.env)]);
    for (const key of Object.keys(env)) if (!known.has(key)) problems.push(`${node.name}: unexpected variable ${key}`);

    const deps = Object.keys(service.depends_on ?? {});
    if (node.kind === 'hub') {
      if (env.REDIS_URL !== redisUrl) problems.push(`${node.name}: REDIS_URL=${env.REDIS_URL}`);
      const url = new URL(env.REDIS_URL);
      if (bundledRedis) {
        // The URL must reach the redis service: its name, the port redis-server listens on.
        if (!('redis' in services) || url.hostname !== 'redis' || (url.port || '6379') !== '6379') problems.push(`${node.name}: ${env.REDIS_URL} does not reach the redis service`);
        if (!services.redis.command?.includes('redis-server') || services.redis.command.includes('--port')) problems.push('redis: not listening on 6379');
        if (JSON.stringify(deps) !== '["redis"]') problems.push(`${node.name}: depends_on ${deps}`);
      } else if (deps.length > 0) {
        problems.push(`${node.name}: depends_on ${deps} with an external Redis`);
      }
    } else {
      // Every hub URL names a hub service and that hub's port, in topology order.
      const urls = (env.DSKE_HUBS ?? '').split(' ');
      if (urls.length !== topology.hubs.length) problems.push(`${node.name}: ${urls.length} hub URLs for ${topology.hubs.length} hubs`);
      urls.forEach((raw, i) => {
        const url = new URL(raw);
        const hub = services[url.hostname];
        const hubPlan = topology.hubs[i];
        if (hub === undefined || hub.command?.[0] !== 'hub') problems.push(`${node.name}: ${raw} names no hub service`);
        else if (url.port !== hub.environment?.DSKE_PORT || Number(url.port) !== hub.ports?.[0].target) problems.push(`${node.name}: ${raw} is not the port of ${url.hostname}`);
        if (url.pathname !== `/hub/${url.hostname}` || url.hostname !== hubPlan?.name) problems.push(`${node.name}: ${raw} out of order or wrong path`);
      });
      if (JSON.stringify(deps) !== JSON.stringify(topology.hubs.map((h) => h.name).sort())) problems.push(`${node.name}: depends_on ${deps}`);
      const encryptors = env.DSKE_ENCRYPTORS?.split(' ') ?? [];
      if (JSON.stringify(encryptors) !== JSON.stringify(node.encryptors)) problems.push(`${node.name}: DSKE_ENCRYPTORS=${env.DSKE_ENCRYPTORS}`);
    }
  }
  return problems;
}

describe('renderCompose: the Compose Specification schema', () => {
  let validate: ValidateFunction;
  beforeAll(() => {
    if (!HAVE_SCHEMA) return;
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    delete schema.$schema;
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  });

  for (const [label, load] of Object.entries(TOPOLOGIES)) {
    it.skipIf(!HAVE_SCHEMA)(`validates: ${label}`, () => {
      const { compose } = render(load());
      expect(validate(compose), JSON.stringify(validate.errors, null, 1)).toBe(true);
    });
  }

  it.skipIf(!HAVE_SCHEMA)('the top-level compose.yaml (for a plain `docker compose up`) validates and includes the generated file', () => {
    const entry = parse(readFileSync(resolve(REPO_ROOT, 'compose.yaml'), 'utf8')) as { include: string[] };
    expect(validate(entry), JSON.stringify(validate.errors, null, 1)).toBe(true);
    expect(entry.include).toEqual([COMPOSE_FILE]);
  });

  it.skipIf(!HAVE_SCHEMA)('the schema check has teeth: a bad condition and an unknown key fail', () => {
    const { compose } = render(TOPOLOGIES['3 hubs, 2 clients']());
    const badCondition = structuredClone(compose);
    (badCondition.services.carol.depends_on as Record<string, { condition: string }>).hank.condition = 'healthy';
    expect(validate(badCondition)).toBe(false);
    const unknownKey = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    unknownKey.services.hank.healthcheck = { test: ['CMD', 'true'], retry: 3 };
    expect(validate(unknownKey)).toBe(false);
  });
});

describe('renderCompose: semantics', () => {
  for (const [label, load] of Object.entries(TOPOLOGIES)) {
    it(`holds together: ${label}`, () => {
      const topology = load();
      expect(semanticProblems(topology, render(topology).compose)).toEqual([]);
    });
  }

  it('the semantic checks have teeth', () => {
    const topology = TOPOLOGIES['3 hubs, 2 clients']();
    const { compose } = render(topology);
    const broken = (edit: (c: ComposeFile) => void): string[] => {
      const copy = structuredClone(compose);
      edit(copy);
      return semanticProblems(topology, copy);
    };
    expect(broken((c) => (c.services.carol.depends_on = { hugo: { condition: 'service_healthy' } })).join()).toContain('no service');
    expect(broken((c) => (c.services.helen.ports![0].published = '8100')).join()).toContain('not unique');
    expect(broken((c) => (c.services.carol.environment!.DSKE_HUBS = c.services.carol.environment!.DSKE_HUBS.replace('helen:8101', 'helen:8102'))).join()).toContain('not the port');
    expect(broken((c) => (c.services.carol.environment!.DSKE_HUBS = c.services.carol.environment!.DSKE_HUBS.replace('http://hank', 'http://hanke'))).join()).toContain('names no hub');
    expect(broken((c) => (c.services.hank.environment!.REDIS_URL = 'redis://127.0.0.1:6379/0')).join()).toContain('REDIS_URL');
    expect(broken((c) => delete c.services.curtis.environment!.DSKE_MIN_NR_SHARES).join()).toContain('DSKE_MIN_NR_SHARES');
  });

  it('is deterministic and starts with a header naming the source and the regenerate command', () => {
    const topology = TOPOLOGIES['dske-config.yaml (5 hubs, 5 clients)']();
    const a = renderCompose(topology, { sourceFile: 'dske-config.yaml' });
    expect(renderCompose(loadTopology(resolve(REPO_ROOT, 'dske-config.yaml')), { sourceFile: 'dske-config.yaml' })).toBe(a);
    expect(a.split('\n').slice(0, 3)).toEqual([
      '# Generated by the DSKE deployment generator from dske-config.yaml: 5 hubs, 5 clients and Redis, one service each.',
      '# Do not edit by hand: edit dske-config.yaml and regenerate with',
      '#   ./manager generate compose',
    ]);
    expect(a).not.toMatch(/\d{4}-\d\d-\d\dT/);
    const other = renderCompose(topology, { sourceFile: 'lab/my topology.yaml', image: 'registry.example/dske:1.2' });
    expect(other).toContain("#   ./manager --config 'lab/my topology.yaml' generate compose --image registry.example/dske:1.2\n");
    expect(parse(other).services.hank.image).toBe('registry.example/dske:1.2');
  });

  it('reads the same under YAML 1.1 and 1.2 (no bare no/on/yes, no base-60 ports)', () => {
    for (const load of Object.values(TOPOLOGIES)) {
      const { text } = render(load());
      expect(parse(text, { version: '1.1' })).toEqual(parse(text, { version: '1.2' }));
    }
  });

  it('mounts each TLS client\'s own files from tls_dir, relative to the compose file', () => {
    const { compose } = render(TOPOLOGIES['mutual TLS (tls_dir)']());
    expect(compose.services.carol.volumes).toEqual([
      { type: 'bind', source: './pki/kme-carol.crt', target: '/etc/dske/tls/kme-carol.crt', read_only: true },
      { type: 'bind', source: './pki/kme-carol.key', target: '/etc/dske/tls/kme-carol.key', read_only: true },
      { type: 'bind', source: './pki/ca.crt', target: '/etc/dske/tls/ca.crt', read_only: true },
    ]);
    expect(compose.services.hank.volumes).toBeUndefined();
    const nested = renderCompose(TOPOLOGIES['mutual TLS (tls_dir)'](), { sourceFile: 'labs/net/dske-config.yaml' });
    expect(nested).toContain('source: ./labs/net/pki/kme-cindy.key');
    expect(nested).not.toMatch(/source: \/labs/);
  });

  it('bundles Redis only when the hubs use it', () => {
    expect(Object.keys(render(TOPOLOGIES['external redis_url']()).compose.services)).not.toContain('redis');
    const onService = render(TOPOLOGIES['redis_url on the redis service']()).compose;
    expect(onService.services.hank.environment?.REDIS_URL).toBe('redis://redis:6379/5');
    expect(onService.services.redis).toBeDefined();
  });

  it('rejects a node named redis, as the loader reports topology problems', () => {
    for (const [text, field] of [
      [doc('hubs: [{name: hank}, {name: redis}, {name: hugo}]', 'clients: []'), 'hubs[1].name'],
      [doc('hubs: [{name: hank}, {name: helen}, {name: hugo}]', 'clients: [{name: carol}, {name: redis}]'), 'clients[1].name'],
    ]) {
      const topology = parseTopology(text, 'lab.yaml');
      const error = (() => {
        try {
          renderCompose(topology, { sourceFile: 'lab.yaml' });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(TopologyError);
      expect((error as TopologyError).code).toBe('invalid-name');
      expect((error as TopologyError).message).toMatch(new RegExp(`^lab\\.yaml: ${field.replace(/[[\].]/g, '\\$&')}: the name 'redis' is reserved for the Redis service`));
    }
  });
});
