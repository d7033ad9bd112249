import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import {
  containerTopology,
  NODE_STATE_STORAGE,
  nodeStateClaim,
  KUSTOMIZATION_FILE,
  loadTopology,
  nodeSecretName,
  parseTopology,
  POD_REDIS_URL,
  podRedisUrl,
  redisDataClaim,
  renderKubernetes,
  renderNodeSecrets,
  TLS_SECRET,
  TopologyError,
  type KubernetesOptions,
  type NodePlan,
  type Topology,
} from '../index';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
const KUBECTL = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
if (KUBECTL === undefined) console.warn('kubernetes.spec: kubectl is not installed, so the `kubectl kustomize` checks are skipped (.ci/run installs Debian\'s kubernetes-client).');

const doc = (...lines: string[]): string => `${lines.join('\n')}\n`;

interface Case {
  load: () => Topology;
  /** The Redis URL each hub is given when the topology names external stores; undefined: each hub pod brings its own Redis. */
  store?: (hub: string) => string;
  /** With the bundled Redis: the REDIS_URL of each hub in its pod; default redis://127.0.0.1:6379/0. */
  podRedis?: string;
}

const TOPOLOGIES: Record<string, Case> = {
  'dske-config.yaml': { load: () => loadTopology(resolve(REPO_ROOT, 'dske-config.yaml')) },
  '3 hubs, 2 clients': {
    load: () =>
      parseTopology(doc('hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients:', '  - {name: carol, encryptors: [{name: sam}]}', '  - {name: curtis, encryptors: [{name: sunny}]}'), 't.yaml'),
  },
  '16 hubs': {
    load: () =>
      parseTopology(doc('base_port: 30000', `hubs: [${Array.from({ length: 16 }, (_, i) => `{name: hub${i + 1}}`).join(', ')}]`, 'clients: [{name: carol, encryptors: [{name: sam}]}]'), 't.yaml'),
  },
  'a client with no encryptors': { load: () => parseTopology(doc('min_nr_shares: 1', 'allow_single_share: true', 'hubs: [{name: hank}]', 'clients: [{name: cindy}]'), 't.yaml') },
  'mutual TLS (tls_dir)': {
    load: () =>
      parseTopology(doc('tls_dir: pki', 'min_nr_shares: 2', 'hubs: [{name: hank}, {name: helen}]', 'clients: [{name: carol, encryptors: [{name: sam}]}, {name: curtis}]'), '/labs/net/dske-config.yaml'),
  },
  'a node on port 9999 (the probe port moves aside)': {
    load: () => parseTopology(doc('base_port: 9998', 'min_nr_shares: 2', 'hubs: [{name: hank}, {name: helen}]', 'clients: [{name: carol, encryptors: [{name: sam}]}]'), 't.yaml'),
  },
  'redis_url: the bundled template spelled out': {
    load: () => parseTopology(doc('redis_url: redis://{name}-redis:6379/0', 'min_nr_shares: 2', 'hubs: [{name: hank}, {name: helen}]', 'clients: [{name: carol}]'), 't.yaml'),
  },
  'redis_url: the bundled template with database 3': {
    load: () => parseTopology(doc('redis_url: redis://{name}-redis:6379/3', 'min_nr_shares: 2', 'hubs: [{name: hank}, {name: helen}]', 'clients: [{name: carol}]'), 't.yaml'),
    podRedis: 'redis://127.0.0.1:6379/3',
  },
  'external redis_url template': {
    load: () => parseTopology(doc('redis_url: rediss://:pw@{name}.cache.example.net:6380/2', 'hubs: [{name: a}, {name: b}, {name: c}]', 'clients: []'), 't.yaml'),
    store: (hub) => `rediss://:pw@${hub}.cache.example.net:6380/2`,
  },
};

const MODES: Record<string, { lab: boolean }> = { secure: { lab: false }, lab: { lab: true } };

type Obj = { apiVersion: string; kind: string; type?: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> }; // eslint-disable-line @typescript-eslint/no-explicit-any
type Container = { name: string; env?: Array<{ name: string; value: string }> } & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function objects(files: Record<string, string>): Map<string, Obj[]> {
  const out = new Map<string, Obj[]>();
  for (const [name, text] of Object.entries(files)) {
    if (name === KUSTOMIZATION_FILE) continue;
    out.set(name, yamlStream(text, name));
  }
  return out;
}

function yamlStream(text: string, what: string): Obj[] {
  const docs = parseAllDocuments(text);
  for (const d of docs) expect(d.errors, what).toEqual([]);
  return docs.map((d) => d.toJS() as Obj);
}

function envOf(container: Container): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'apps/v1/Deployment': Deployment,
};

function validateWithModels(obj: Obj): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  expect(Model, `no model for ${obj.apiVersion} ${obj.kind}`).toBeDefined();
  new Model(obj as never).validate();
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function kustomize(files: Record<string, string>): Obj[] {
  const dir = mkdtempSync(join(tmpdir(), 'dske-k8s-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const out = execFileSync(KUBECTL!, ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out).map((d) => d.toJS() as Obj);
}

const LABELS = (instance: string, component: string) => ({
  'app.kubernetes.io/component': component,
  'app.kubernetes.io/instance': instance,
  'app.kubernetes.io/managed-by': 'dske-generator',
  'app.kubernetes.io/name': 'dske',
  'app.kubernetes.io/part-of': 'dske',
});

/** The hub pod's own Redis, as the generator must write it. */
const POD_REDIS_CONTAINER = {
  name: 'redis',
  image: 'redis:7.4-alpine',
  imagePullPolicy: 'IfNotPresent',
  command: ['redis-server', '--bind', '127.0.0.1', '--protected-mode', 'yes', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', '/data'],
  readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
  livenessProbe: { exec: { command: ['redis-cli', 'ping'] }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
  resources: { requests: { cpu: '25m', memory: '32Mi' }, limits: { cpu: '250m', memory: '128Mi' } },
  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  volumeMounts: [{ name: 'redis-data', mountPath: '/data' }],
};

const SECRET_ENV = {
  DSKE_TLS_CERT: '/etc/dske/secrets/tls.crt',
  DSKE_TLS_KEY: '/etc/dske/secrets/tls.key',
  DSKE_TLS_CA: '/etc/dske/secrets/ca.crt',
  DSKE_MGMT_TOKEN_FILE: '/etc/dske/secrets/mgmt.token',
};

describe('renderKubernetes', () => {
  for (const [label, { load, store, podRedis }] of Object.entries(TOPOLOGIES)) {
    for (const [mode, { lab }] of Object.entries(MODES)) {
      describe(`${label} (${mode})`, () => {
        const topology = load();
        const options: KubernetesOptions = { sourceFile: 'dske-config.yaml', ...(lab ? { lab } : {}) };
        const files = renderKubernetes(topology, options);
        const byFile = objects(files);
        const all = [...byFile.values()].flat();
        const deployments = new Map(all.filter((o) => o.kind === 'Deployment').map((o) => [o.metadata.name, o]));
        const services = new Map(all.filter((o) => o.kind === 'Service').map((o) => [o.metadata.name, o]));
        const podOf = (node: NodePlan) => deployments.get(node.name)!.spec.template.spec;
        const tlsDir = topology.settings.tls_dir !== undefined;
        const servesTls = (node: NodePlan) => !lab || (node.kind === 'client' && tlsDir);

        it('writes a file per node (a hub: its claims, Deployment and Service), no Redis of its own; every object validates with kubernetes-models', () => {
          expect(Object.keys(files)).toEqual(
            [...topology.nodes.map((n) => `${n.kind}-${n.name}.yaml`), KUSTOMIZATION_FILE, 'namespace.yaml', 'topology-configmap.yaml'].sort(),
          );
          for (const obj of all) validateWithModels(obj);
          for (const hub of topology.hubs) {
            expect(byFile.get(`hub-${hub.name}.yaml`)!.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
              `PersistentVolumeClaim/${hub.name}-state`,
              ...(store === undefined ? [`PersistentVolumeClaim/${hub.name}-redis-data`] : []),
              `Deployment/${hub.name}`,
              `Service/${hub.name}`,
            ]);
          }
          for (const client of topology.clients) {
            expect(byFile.get(`client-${client.name}.yaml`)!.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
              `PersistentVolumeClaim/${client.name}-state`,
              `Deployment/${client.name}`,
              `Service/${client.name}`,
            ]);
          }
          const kinds = all.map((o) => o.kind);
          expect(kinds.filter((k) => k === 'Namespace')).toHaveLength(1);
          expect(kinds.filter((k) => k === 'ConfigMap')).toHaveLength(1);
          expect(kinds.filter((k) => k === 'PersistentVolumeClaim')).toHaveLength(topology.nodes.length + (store === undefined ? topology.hubs.length : 0));
          expect(kinds.filter((k) => k === 'Deployment')).toHaveLength(topology.nodes.length);
          expect(kinds.filter((k) => k === 'Service')).toHaveLength(topology.nodes.length);
          expect(kinds.filter((k) => k === 'Secret')).toHaveLength(0);
        });

        it.skipIf(KUBECTL === undefined)('kubectl kustomize builds the whole set', () => {
          const built = kustomize(files);
          expect(built.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(all.map((o) => `${o.kind}/${o.metadata.name}`).sort());
          for (const obj of built) if (obj.kind !== 'Namespace') expect(obj.metadata.namespace, `${obj.kind}/${obj.metadata.name}`).toBe('dske');
          // kubectl applies the Namespace before what lives in it.
          expect(built[0].kind).toBe('Namespace');
        });

        it('kustomization.yaml lists every other file; its header says which mode', () => {
          const k = parse(files[KUSTOMIZATION_FILE]) as { kind: string; resources: string[] };
          expect(k.kind).toBe('Kustomization');
          expect(k.resources).toEqual(Object.keys(files).filter((f) => f !== KUSTOMIZATION_FILE));
          const header = files[KUSTOMIZATION_FILE].split('\n');
          if (lab) {
            expect(header[0]).toBe('# Generated by the DSKE deployment generator from dske-config.yaml: LAB MODE, the resource list for kubectl apply -k (namespace dske).');
            expect(header[2]).toBe('#   ./manager generate k8s --lab');
            expect(header[3]).toBe('# LAB MODE (generate --lab): plain HTTP, open ETSI (SAE named in a header), open mgmt and oob. Not for a shared cluster.');
            expect(files[KUSTOMIZATION_FILE]).not.toContain('--k8s-secrets');
          } else {
            expect(header.slice(0, 6)).toEqual([
              '# Generated by the DSKE deployment generator from dske-config.yaml: the resource list for kubectl apply -k (namespace dske).',
              '# Do not edit by hand: edit dske-config.yaml and regenerate with',
              '#   ./manager generate k8s',
              '# Secure: each node mounts Secret dske-KIND-NAME with its own certificate and mgmt token (not generated: keys stay',
              '# out of the repository). Create them first, once (the operator keeps dske-secrets/operator):',
              '#   ./manager provision --k8s-secrets | kubectl apply -f -',
            ]);
            expect(files[KUSTOMIZATION_FILE]).not.toContain('LAB MODE');
            expect(files[KUSTOMIZATION_FILE]).not.toContain(TLS_SECRET);
          }
          for (const [name, text] of Object.entries(files)) expect(text.split('\n')[2], name).toBe(lab ? '#   ./manager generate k8s --lab' : '#   ./manager generate k8s');
        });

        it('services select their pods, ports follow the plan, clients find the hubs by service name', () => {
          for (const [name, svc] of services) {
            const pod = deployments.get(name)?.spec.template;
            expect(pod, name).toBeDefined();
            for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) expect(pod.metadata.labels[k]).toBe(v);
            expect(deployments.get(name)?.spec.selector.matchLabels).toEqual(svc.spec.selector);
            const container = pod.spec.containers[0];
            const port = container.ports.find((p: { name: string }) => p.name === svc.spec.ports[0].targetPort);
            expect(port.containerPort).toBe(svc.spec.ports[0].port);
          }
          for (const node of topology.nodes) {
            const container = podOf(node).containers[0] as Container;
            const env = envOf(container);
            expect(container.name).toBe(node.kind);
            expect(container.args).toEqual([node.kind]);
            expect(env.DSKE_NAME).toBe(node.name);
            expect(env.DSKE_PORT).toBe(String(node.port));
            expect(services.get(node.name)!.spec.ports[0].port).toBe(node.port);
            expect(env.DSKE_HOST).toBe('0.0.0.0');
            expect(env.DSKE_HEALTH_PORT).toBe(node.port === 9999 ? '9998' : '9999');
            if (node.kind === 'client') {
              const urls = env.DSKE_HUBS.split(' ').map((u: string) => new URL(u));
              expect(urls.map((u) => u.href)).toEqual(topology.hubs.map((h) => `${lab ? 'http' : 'https'}://${h.name}:${h.port}/hub/${h.name}`));
              for (const url of urls) expect(services.get(url.hostname)?.spec.ports[0].port).toBe(Number(url.port));
            }
          }
        });

        it("each node keeps its state on a claim of its own, a hub its Redis' file on another; its Redis is in its pod unless the topology names external stores", () => {
          const claims = new Map(all.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => [o.metadata.name, o]));
          const claim = (name: string, component: 'hub' | 'client' = 'hub') => ({
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name, namespace: 'dske', labels: LABELS(name, component) },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '256Mi' } } },
          });
          for (const hub of topology.hubs) {
            expect(claims.get(`${hub.name}-state`)).toEqual(claim(`${hub.name}-state`));
            const pod = podOf(hub);
            const volumeNames = pod.volumes.map((v: { name: string }) => v.name);
            expect(pod.volumes).toContainEqual({ name: 'state', persistentVolumeClaim: { claimName: `${hub.name}-state` } });
            const [container, ...others] = pod.containers as Container[];
            expect(container.volumeMounts).toContainEqual({ name: 'state', mountPath: '/var/lib/dske' });
            expect(container.volumeMounts.map((m: { name: string }) => m.name)).not.toContain('redis-data');
            for (const m of container.volumeMounts) expect(m, `${hub.name} ${m.name}`).not.toHaveProperty('subPath');
            const env = envOf(container);
            expect(env.DSKE_STATE_DIR).toBe('/var/lib/dske');
            if (store === undefined) {
              expect(claims.get(`${hub.name}-redis-data`)).toEqual(claim(`${hub.name}-redis-data`));
              // The Redis file's volume right after the hub's state.
              expect(pod.volumes[volumeNames.indexOf('state') + 1]).toEqual({ name: 'redis-data', persistentVolumeClaim: { claimName: `${hub.name}-redis-data` } });
              expect(env.REDIS_URL).toBe(podRedis ?? 'redis://127.0.0.1:6379/0');
              // Its Redis mounts its own claim only: never the hub's state or the node's Secret.
              expect(others).toEqual([POD_REDIS_CONTAINER]);
            } else {
              expect(claims.has(`${hub.name}-redis-data`)).toBe(false);
              expect(volumeNames).not.toContain('redis-data');
              expect(env.REDIS_URL).toBe(store(hub.name));
              expect(others).toEqual([]);
            }
          }
          for (const client of topology.clients) {
            const pod = podOf(client);
            expect(pod.containers.map((c: Container) => c.name)).toEqual(['client']);
            // A client's state file (registrations, PSRD pools) on its own claim; no Redis.
            expect(claims.get(`${client.name}-state`)).toEqual(claim(`${client.name}-state`, 'client'));
            expect(pod.volumes).toContainEqual({ name: 'state', persistentVolumeClaim: { claimName: `${client.name}-state` } });
            expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'state', mountPath: '/var/lib/dske' });
            expect(pod.volumes.map((v: { name: string }) => v.name)).not.toContain('redis-data');
            expect(envOf(pod.containers[0]).DSKE_STATE_DIR).toBe('/var/lib/dske');
            expect(envOf(pod.containers[0]).REDIS_URL).toBeUndefined();
          }
        });

        it(lab ? 'lab: no node Secrets, no mgmt token, PSRD shown' : 'secure: every node mounts its own Secret where DSKE_TLS_* and DSKE_MGMT_TOKEN_FILE point, PSRD hidden', () => {
          for (const node of topology.nodes) {
            const pod = podOf(node);
            const [container] = pod.containers as Container[];
            const env = envOf(container);
            expect(env.DSKE_MGMT_TOKEN, node.name).toBeUndefined();
            if (!lab) {
              expect(pod.volumes).toContainEqual({ name: 'secrets', secret: { secretName: `dske-${node.kind}-${node.name}`, defaultMode: 0o440 } });
              expect(container.volumeMounts).toContainEqual({ name: 'secrets', mountPath: '/etc/dske/secrets', readOnly: true });
              expect(env).toMatchObject(SECRET_ENV);
              expect(env.DSKE_HIDE_PSRD).toBe('1');
              // The lab PKI plays no part in a secure deployment.
              expect(pod.volumes.map((v: { name: string }) => v.name)).not.toContain('tls');
            } else {
              expect(pod.volumes.map((v: { name: string }) => v.name)).not.toContain('secrets');
              expect(container.volumeMounts.map((m: { name: string }) => m.name)).not.toContain('secrets');
              expect(env.DSKE_MGMT_TOKEN_FILE).toBeUndefined();
              expect(env.DSKE_HIDE_PSRD).toBeUndefined();
              if (servesTls(node)) {
                expect([env.DSKE_TLS_CERT, env.DSKE_TLS_KEY, env.DSKE_TLS_CA]).toEqual([`/etc/dske/tls/kme-${node.name}.crt`, `/etc/dske/tls/kme-${node.name}.key`, '/etc/dske/tls/ca.crt']);
              } else {
                expect([env.DSKE_TLS_CERT, env.DSKE_TLS_KEY, env.DSKE_TLS_CA]).toEqual([undefined, undefined, undefined]);
                expect(JSON.stringify(pod)).not.toContain('"secret"');
              }
            }
          }
          if (!lab || !tlsDir) expect(Object.values(files).join('\n')).not.toContain('/etc/dske/tls');
        });

        it('every container has probes (HTTPS where the node serves TLS), resource requests and limits, and runs as non-root', () => {
          for (const d of deployments.values()) {
            const pod = d.spec.template.spec;
            expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
            expect(pod.enableServiceLinks).toBe(false);
            expect(pod.automountServiceAccountToken).toBe(false);
            expect(d.spec.strategy).toEqual({ type: 'Recreate' });
            for (const c of pod.containers as Container[]) {
              expect(c.readinessProbe, d.metadata.name).toBeDefined();
              expect(c.livenessProbe, d.metadata.name).toBeDefined();
              expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
              for (const kind of ['requests', 'limits']) {
                expect(c.resources[kind].cpu, `${d.metadata.name} ${kind}`).toMatch(/^\d+m?$/);
                expect(c.resources[kind].memory, `${d.metadata.name} ${kind}`).toMatch(/^\d+Mi$/);
              }
            }
          }
          for (const node of topology.nodes) {
            const c = podOf(node).containers[0] as Container;
            // TLS nodes serve HTTPS on the same port; kubelet probes it without checking the certificate.
            const scheme = servesTls(node) ? { scheme: 'HTTPS' } : {};
            expect(c.startupProbe.httpGet, node.name).toEqual({ path: '/healthz', port: 'http', ...scheme });
            expect(c.readinessProbe.httpGet, node.name).toEqual({ path: '/readyz', port: 'http', ...scheme });
            expect(c.livenessProbe.httpGet, node.name).toEqual({ path: '/healthz', port: 'http', ...scheme });
          }
        });

        it('every node pod carries the prometheus.io scrape annotations for its own port (https where it serves TLS)', () => {
          for (const node of topology.nodes) {
            const d = deployments.get(node.name)!;
            expect(d.spec.template.metadata.annotations, node.name).toEqual({
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': String(node.port),
              'prometheus.io/path': '/metrics',
              'prometheus.io/scheme': servesTls(node) ? 'https' : 'http',
            });
          }
        });

        it('the ConfigMap holds the topology, which loads back to the same plan', () => {
          const cm = all.find((o) => o.kind === 'ConfigMap')!;
          const again = parseTopology(cm.data!['dske-config.yaml'], '/etc/dske/dske-config.yaml');
          // As the pods see it: in a lab, tls_dir is where the TLS Secret is mounted; a secure deployment has none.
          expect(again.settings).toEqual(containerTopology(topology, lab).settings);
          expect(again.settings.tls_dir).toBe(lab && tlsDir ? '/etc/dske/tls' : undefined);
          expect(again.settings.redis_url).toBe(topology.settings.redis_url);
          expect(again.nodes).toEqual(topology.nodes);
        });

        it('is deterministic', () => {
          expect(renderKubernetes(load(), options)).toEqual(files);
          expect(Object.keys(files)).toEqual([...Object.keys(files)].sort());
          // kubectl reads YAML 1.1: no value may change meaning there (no bare no/on/yes).
          const read = (text: string, version: '1.1' | '1.2') => parseAllDocuments(text, { version }).map((d) => d.toJS());
          for (const text of Object.values(files)) expect(read(text, '1.1')).toEqual(read(text, '1.2'));
        });
      });
    }
  }

  it('a secure hub pod in full: the hub and its Redis each on a claim of its own, its own Secret', () => {
    const files = renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'].load(), { sourceFile: 'dske-config.yaml' });
    expect(files['hub-helen.yaml'].split('\n')[0]).toBe(
      '# Generated by the DSKE deployment generator from dske-config.yaml: PersistentVolumeClaim helen-state, PersistentVolumeClaim helen-redis-data, Deployment helen, Service helen.',
    );
    const [stateClaim, redisClaim, deployment] = objects(files).get('hub-helen.yaml')!;
    for (const [claim, name] of [
      [stateClaim, 'helen-state'],
      [redisClaim, 'helen-redis-data'],
    ] as const) {
      expect(claim).toEqual({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace: 'dske', labels: LABELS(name, 'hub') },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '256Mi' } } },
      });
    }
    const pod = deployment.spec.template.spec;
    expect(pod.volumes).toEqual([
      { name: 'topology', configMap: { name: 'dske-topology' } },
      { name: 'tmp', emptyDir: {} },
      { name: 'state', persistentVolumeClaim: { claimName: 'helen-state' } },
      { name: 'redis-data', persistentVolumeClaim: { claimName: 'helen-redis-data' } },
      { name: 'secrets', secret: { secretName: 'dske-hub-helen', defaultMode: 288 } },
    ]);
    const [hub, redis] = pod.containers as Container[];
    expect(hub.volumeMounts).toEqual([
      { name: 'topology', mountPath: '/etc/dske', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'state', mountPath: '/var/lib/dske' },
      { name: 'secrets', mountPath: '/etc/dske/secrets', readOnly: true },
    ]);
    // Sorted by name, as the generator writes them.
    expect(hub.env).toEqual(
      Object.entries({
        DSKE_HEALTH_PORT: '9999',
        DSKE_HIDE_PSRD: '1',
        DSKE_HOST: '0.0.0.0',
        DSKE_MGMT_TOKEN_FILE: '/etc/dske/secrets/mgmt.token',
        DSKE_NAME: 'helen',
        DSKE_PORT: '8101',
        DSKE_SHARE_TIMEOUT_SECS: '60',
        DSKE_STATE_DIR: '/var/lib/dske',
        DSKE_TLS_CA: '/etc/dske/secrets/ca.crt',
        DSKE_TLS_CERT: '/etc/dske/secrets/tls.crt',
        DSKE_TLS_KEY: '/etc/dske/secrets/tls.key',
        REDIS_URL: 'redis://127.0.0.1:6379/0',
      }).map(([name, value]) => ({ name, value })),
    );
    expect(hub.image).toBe('dske:latest');
    expect(hub.ports).toEqual([{ name: 'http', containerPort: 8101, protocol: 'TCP' }]);
    expect(hub.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    // The Redis container never sees the storage key or the node's Secret.
    expect(redis).toEqual(POD_REDIS_CONTAINER);
    expect(redis.volumeMounts).toEqual([{ name: 'redis-data', mountPath: '/data' }]);
    expect(POD_REDIS_URL).toBe('redis://127.0.0.1:6379/0');
    expect(NODE_STATE_STORAGE).toBe('256Mi');
    expect(nodeStateClaim('helen')).toBe('helen-state');
    expect(redisDataClaim('helen')).toBe('helen-redis-data');
    expect(nodeSecretName({ kind: 'client', name: 'carol' })).toBe('dske-client-carol');
  });

  it('a lab hub pod: no Secret, plain HTTP probes, still its own Redis and claims', () => {
    const files = renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'].load(), { sourceFile: 'dske-config.yaml', lab: true });
    expect(files['hub-hank.yaml'].split('\n')[0]).toBe(
      '# Generated by the DSKE deployment generator from dske-config.yaml: PersistentVolumeClaim hank-state, PersistentVolumeClaim hank-redis-data, Deployment hank, Service hank.',
    );
    const [, , deployment] = objects(files).get('hub-hank.yaml')!;
    const pod = deployment.spec.template.spec;
    expect(pod.volumes).toEqual([
      { name: 'topology', configMap: { name: 'dske-topology' } },
      { name: 'tmp', emptyDir: {} },
      { name: 'state', persistentVolumeClaim: { claimName: 'hank-state' } },
      { name: 'redis-data', persistentVolumeClaim: { claimName: 'hank-redis-data' } },
    ]);
    const [hub, redis] = pod.containers as Container[];
    expect(hub.volumeMounts).toEqual([
      { name: 'topology', mountPath: '/etc/dske', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'state', mountPath: '/var/lib/dske' },
    ]);
    expect(envOf(hub)).toEqual({
      DSKE_HEALTH_PORT: '9999',
      DSKE_HOST: '0.0.0.0',
      DSKE_NAME: 'hank',
      DSKE_PORT: '8100',
      DSKE_SHARE_TIMEOUT_SECS: '60',
      DSKE_STATE_DIR: '/var/lib/dske',
      REDIS_URL: 'redis://127.0.0.1:6379/0',
    });
    expect(hub.readinessProbe).toEqual({ httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 });
    expect(redis).toEqual(POD_REDIS_CONTAINER);
    const carol = objects(files).get('client-carol.yaml')!.find((o) => o.kind === 'Deployment')!;
    expect(envOf(carol.spec.template.spec.containers[0]).DSKE_HUBS).toBe('http://hank:8100/hub/hank http://helen:8101/hub/helen http://hilary:8102/hub/hilary');
  });

  it('a secure client: https hub URLs, its own Secret, HTTPS probes', () => {
    const files = renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'].load(), { sourceFile: 'dske-config.yaml' });
    const curtis = objects(files).get('client-curtis.yaml')!.find((o) => o.kind === 'Deployment')!;
    const pod = curtis.spec.template.spec;
    expect(pod.volumes).toEqual([
      { name: 'topology', configMap: { name: 'dske-topology' } },
      { name: 'tmp', emptyDir: {} },
      { name: 'state', persistentVolumeClaim: { claimName: 'curtis-state' } },
      { name: 'secrets', secret: { secretName: 'dske-client-curtis', defaultMode: 0o440 } },
    ]);
    expect(envOf(pod.containers[0])).toEqual({
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
    expect(pod.containers[0].startupProbe).toEqual({ httpGet: { path: '/healthz', port: 'http', scheme: 'HTTPS' }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 60 });
  });

  it('external stores: each hub gets its expanded redis_url, no Redis container and only its state claim', () => {
    const files = renderKubernetes(TOPOLOGIES['external redis_url template'].load(), { sourceFile: 'dske-config.yaml' });
    expect(files['hub-a.yaml'].split('\n')[0]).toBe('# Generated by the DSKE deployment generator from dske-config.yaml: PersistentVolumeClaim a-state, Deployment a, Service a.');
    const urls = ['hub-a.yaml', 'hub-b.yaml', 'hub-c.yaml'].map((name) => {
      const [, deployment] = objects(files).get(name)!;
      const pod = deployment.spec.template.spec;
      const containers = pod.containers as Container[];
      expect(containers.map((c) => c.name)).toEqual(['hub']);
      expect(pod.volumes.map((v: { name: string }) => v.name)).toEqual(['topology', 'tmp', 'state', 'secrets']);
      return envOf(containers[0]).REDIS_URL;
    });
    expect(urls).toEqual(['rediss://:pw@a.cache.example.net:6380/2', 'rediss://:pw@b.cache.example.net:6380/2', 'rediss://:pw@c.cache.example.net:6380/2']);
    expect(Object.values(files).join('\n')).not.toContain('redis:7');
    expect(Object.values(files).join('\n')).not.toContain('127.0.0.1:6379');
    expect(Object.values(files).join('\n')).not.toContain('redis-data');
  });

  it("a bundled template's database carries over to the pod's loopback Redis", () => {
    expect(podRedisUrl('redis://{name}-redis:6379/0')).toBe('redis://127.0.0.1:6379/0');
    expect(podRedisUrl('redis://{name}-redis:6379/3')).toBe('redis://127.0.0.1:6379/3');
    const files = renderKubernetes(TOPOLOGIES['redis_url: the bundled template with database 3'].load(), { sourceFile: 'dske-config.yaml' });
    for (const name of ['hank', 'helen']) {
      const [, , deployment] = objects(files).get(`hub-${name}.yaml`)!;
      const [hub, redis] = deployment.spec.template.spec.containers as Container[];
      expect(envOf(hub).REDIS_URL).toBe('redis://127.0.0.1:6379/3');
      expect(redis).toEqual(POD_REDIS_CONTAINER);
    }
    const [, , hank] = objects(renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'].load(), { sourceFile: 'dske-config.yaml' })).get('hub-hank.yaml')!;
    expect(envOf(hank.spec.template.spec.containers[0]).REDIS_URL).toBe('redis://127.0.0.1:6379/0');
  });

  it('moves the probe port aside for a node whose plan port is 9999', () => {
    const files = renderKubernetes(TOPOLOGIES['a node on port 9999 (the probe port moves aside)'].load(), { sourceFile: 'dske-config.yaml' });
    const health = (name: string) => envOf(objects(files).get(name)!.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0]).DSKE_HEALTH_PORT;
    expect([health('hub-hank.yaml'), health('hub-helen.yaml'), health('client-carol.yaml')]).toEqual(['9999', '9998', '9999']);
  });

  it('lab TLS clients mount their own files from the dske-tls Secret where DSKE_TLS_* point; kustomization.yaml says how to create it', () => {
    const files = renderKubernetes(TOPOLOGIES['mutual TLS (tls_dir)'].load(), { sourceFile: 'dske-config.yaml', lab: true });
    const carol = objects(files).get('client-carol.yaml')!.find((o) => o.kind === 'Deployment')!;
    const pod = carol.spec.template.spec;
    expect(pod.volumes.find((v: { name: string }) => v.name === 'tls')).toEqual({
      name: 'tls',
      secret: { secretName: TLS_SECRET, defaultMode: 0o440, items: ['kme-carol.crt', 'kme-carol.key', 'ca.crt'].map((key) => ({ key, path: key })) },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/dske/tls', readOnly: true });
    const env = envOf(pod.containers[0]);
    expect([env.DSKE_TLS_CERT, env.DSKE_TLS_KEY, env.DSKE_TLS_CA]).toEqual(['/etc/dske/tls/kme-carol.crt', '/etc/dske/tls/kme-carol.key', '/etc/dske/tls/ca.crt']);
    expect(env.DSKE_HUBS).toBe('http://hank:8100/hub/hank http://helen:8101/hub/helen');
    expect(pod.containers[0].readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http', scheme: 'HTTPS' });
    const [, , hank] = objects(files).get('hub-hank.yaml')!;
    expect(JSON.stringify(hank)).not.toContain('tls');
    expect(hank.spec.template.spec.containers[0].readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(files[KUSTOMIZATION_FILE]).toContain(
      '# The TLS clients mount Secret dske-tls (not generated: keys stay out of the repository). Create it first:\n' +
        '#   kubectl create namespace dske; kubectl -n dske create secret generic dske-tls --from-file=pki/kme-carol.crt --from-file=pki/kme-carol.key --from-file=pki/ca.crt --from-file=pki/kme-curtis.crt --from-file=pki/kme-curtis.key\n',
    );
    expect(Object.values(files).join('\n')).not.toContain('/labs/net');
  });

  it('a secure deployment ignores tls_dir: every node uses its own Secret, no dske-tls', () => {
    const files = renderKubernetes(TOPOLOGIES['mutual TLS (tls_dir)'].load(), { sourceFile: 'dske-config.yaml' });
    const text = Object.values(files).join('\n');
    expect(text).not.toContain(TLS_SECRET);
    expect(text).not.toContain('kme-');
    expect(text).not.toContain('tls_dir');
    expect(text).not.toContain('/labs/net');
    const carol = objects(files).get('client-carol.yaml')!.find((o) => o.kind === 'Deployment')!;
    expect(envOf(carol.spec.template.spec.containers[0])).toMatchObject(SECRET_ENV);
  });

  it('kubernetes-models catches what it should (the validation has teeth)', () => {
    const files = renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'].load(), { sourceFile: 'x.yaml' });
    const [claim, , deployment] = objects(files).get('hub-hank.yaml')!;
    const wrongType = structuredClone(deployment);
    wrongType.spec.replicas = 'one';
    expect(() => validateWithModels(wrongType)).toThrow(/replicas/);
    const noSelector = structuredClone(deployment);
    delete noSelector.spec.selector;
    expect(() => validateWithModels(noSelector)).toThrow(/selector/);
    const badClaim = structuredClone(claim);
    badClaim.spec.accessModes = 'ReadWriteOnce';
    expect(() => validateWithModels(badClaim)).toThrow(/accessModes/);
  });

  it.skipIf(KUBECTL === undefined)('kubectl kustomize fails on a missing resource (the build check has teeth)', () => {
    const files = renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'].load(), { sourceFile: 'x.yaml' });
    delete files['hub-hank.yaml'];
    expect(() => kustomize(files)).toThrow();
  });

  for (const [mode, { lab }] of Object.entries(MODES)) {
    it(`takes a namespace and an image (${mode})`, () => {
      const files = renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'].load(), { sourceFile: 'x.yaml', namespace: 'lab-7', image: 'registry.lab/dske:0.1.0', lab });
      const all = [...objects(files).values()].flat();
      expect(all.find((o) => o.kind === 'Namespace')?.metadata.name).toBe('lab-7');
      for (const o of all) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe('lab-7');
      const hank = all.find((o) => o.kind === 'Deployment' && o.metadata.name === 'hank')!;
      expect(hank.spec.template.spec.containers.map((c: Container) => c.image)).toEqual(['registry.lab/dske:0.1.0', 'redis:7.4-alpine']);
      expect(files['hub-hank.yaml'].split('\n')[2]).toBe(`#   ./manager --config x.yaml generate k8s${lab ? ' --lab' : ''} --image registry.lab/dske:0.1.0 --namespace lab-7`);
      expect(files[KUSTOMIZATION_FILE].split('\n')[0]).toBe(
        `# Generated by the DSKE deployment generator from x.yaml: ${lab ? 'LAB MODE, ' : ''}the resource list for kubectl apply -k (namespace lab-7).`,
      );
      if (!lab) expect(files[KUSTOMIZATION_FILE]).toContain('\n#   ./manager --config x.yaml provision --k8s-secrets --namespace lab-7 | kubectl apply -f -\n');
      expect(() => renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'].load(), { sourceFile: 'x.yaml', namespace: 'Lab_7', lab })).toThrow(/namespace/);
    });
  }

  it("the secure kustomization.yaml's provision command names the same --config as its regenerate command", () => {
    const topology = TOPOLOGIES['3 hubs, 2 clients'].load();
    const header = (namespace?: string) => renderKubernetes(topology, { sourceFile: 'lab/net.yaml', ...(namespace ? { namespace } : {}) })[KUSTOMIZATION_FILE].split('\n');
    expect(header(undefined).slice(0, 6)).toEqual([
      '# Generated by the DSKE deployment generator from lab/net.yaml: the resource list for kubectl apply -k (namespace dske).',
      '# Do not edit by hand: edit lab/net.yaml and regenerate with',
      '#   ./manager --config lab/net.yaml generate k8s',
      '# Secure: each node mounts Secret dske-KIND-NAME with its own certificate and mgmt token (not generated: keys stay',
      '# out of the repository). Create them first, once (the operator keeps dske-secrets/operator):',
      '#   ./manager --config lab/net.yaml provision --k8s-secrets | kubectl apply -f -',
    ]);
    expect(header('lab-7').slice(2, 6)).toEqual([
      '#   ./manager --config lab/net.yaml generate k8s --namespace lab-7',
      '# Secure: each node mounts Secret dske-KIND-NAME with its own certificate and mgmt token (not generated: keys stay',
      '# out of the repository). Create them first, once (the operator keeps dske-secrets/operator):',
      '#   ./manager --config lab/net.yaml provision --k8s-secrets --namespace lab-7 | kubectl apply -f -',
    ]);
  });

  const RESERVED: Array<[string, string, RegExp]> = [
    ['a hub named provision', doc('hubs: [{name: provision}]', 'min_nr_shares: 1', 'allow_single_share: true', 'clients: []'), /^lab\.yaml: hubs\[0\]\.name: the name 'provision' is reserved for the provisioning service of/],
    [
      "a client named after a hub's Redis",
      doc('hubs: [{name: hank}, {name: helen}]', 'min_nr_shares: 2', 'clients: [{name: carol}, {name: helen-redis}]'),
      /^lab\.yaml: clients\[1\]\.name: the name 'helen-redis' is reserved for the Redis service of hub helen of the generated docker compose and Kubernetes deployments; rename this client$/,
    ],
  ];
  for (const [label, text, message] of RESERVED) {
    it(`rejects ${label}`, () => {
      const topology = parseTopology(text, 'lab.yaml');
      for (const lab of [false, true]) {
        expect(() => renderKubernetes(topology, { sourceFile: 'lab.yaml', lab })).toThrow(TopologyError);
        expect(() => renderKubernetes(topology, { sourceFile: 'lab.yaml', lab })).toThrow(message);
      }
    });
  }

  it('lets a node be named redis, or NAME-redis when the hubs use external stores', () => {
    const redis = parseTopology(doc('hubs: [{name: redis}]', 'min_nr_shares: 1', 'allow_single_share: true', 'clients: []'), 'lab.yaml');
    expect(Object.keys(renderKubernetes(redis, { sourceFile: 'lab.yaml' }))).toContain('hub-redis.yaml');
    const external = parseTopology(doc('redis_url: redis://{name}.cache.lab:6379/0', 'hubs: [{name: hank}]', 'min_nr_shares: 1', 'allow_single_share: true', 'clients: [{name: hank-redis}]'), 'lab.yaml');
    expect(Object.keys(renderKubernetes(external, { sourceFile: 'lab.yaml' }))).toContain('client-hank-redis.yaml');
  });
});

describe('renderNodeSecrets', () => {
  const topology = TOPOLOGIES['3 hubs, 2 clients'].load();
  const filesOf = (node: NodePlan): Record<string, Buffer> => ({
    'tls.key': Buffer.from(`key of ${node.name}\n`),
    'tls.crt': Buffer.from(`cert of ${node.name}\n`),
    'mgmt.token': Buffer.from(`token-${node.kind}-${node.name}`),
    'ca.crt': Buffer.from('the CA\n'),
  });

  it('gives the Namespace, then one Secret per node (hubs, then clients) with that node\'s files only', () => {
    const docs = yamlStream(renderNodeSecrets(topology, filesOf, 'lab-7'), 'secrets');
    for (const d of docs) validateWithModels(d);
    expect(docs[0]).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'lab-7', labels: { 'app.kubernetes.io/managed-by': 'dske-generator', 'app.kubernetes.io/part-of': 'dske' } },
    });
    const secrets = docs.slice(1);
    expect(secrets.map((s) => `${s.kind}/${s.metadata.name}`)).toEqual([
      'Secret/dske-hub-hank',
      'Secret/dske-hub-helen',
      'Secret/dske-hub-hilary',
      'Secret/dske-client-carol',
      'Secret/dske-client-curtis',
    ]);
    expect(secrets[3]).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'dske-client-carol',
        namespace: 'lab-7',
        labels: { 'app.kubernetes.io/instance': 'carol', 'app.kubernetes.io/name': 'dske', 'app.kubernetes.io/part-of': 'dske' },
      },
      data: { 'ca.crt': 'dGhlIENBCg==', 'mgmt.token': 'dG9rZW4tY2xpZW50LWNhcm9s', 'tls.crt': 'Y2VydCBvZiBjYXJvbAo=', 'tls.key': 'a2V5IG9mIGNhcm9sCg==' },
    });
    expect(secrets[0].data!['tls.crt']).toBe('Y2VydCBvZiBoYW5rCg==');
    for (const [i, node] of topology.nodes.entries()) {
      const data = secrets[i].data!;
      // Keys sorted, values base64 of exactly this node's files.
      expect(Object.keys(data)).toEqual(['ca.crt', 'mgmt.token', 'tls.crt', 'tls.key']);
      const decoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
      expect(decoded).toEqual(Object.fromEntries(Object.entries(filesOf(node)).map(([k, v]) => [k, v.toString()])));
      for (const other of topology.nodes) if (other !== node) expect(Object.values(decoded).join('\n'), `${node.name} holds ${other.name}'s files`).not.toContain(` ${other.name}\n`);
    }
  });

  it('names exactly the Secrets the secure Deployments mount, in the default namespace dske unless told', () => {
    const secrets = yamlStream(renderNodeSecrets(topology, filesOf), 'secrets');
    expect(secrets[0].metadata.name).toBe('dske');
    for (const s of secrets.slice(1)) expect(s.metadata.namespace).toBe('dske');
    const files = renderKubernetes(topology, { sourceFile: 'dske-config.yaml' });
    const mounted = [...objects(files).values()]
      .flat()
      .filter((o) => o.kind === 'Deployment')
      .flatMap((d) => (d.spec.template.spec.volumes as Array<{ secret?: { secretName: string } }>).flatMap((v) => (v.secret ? [v.secret.secretName] : [])));
    expect(mounted.sort()).toEqual(secrets.slice(1).map((s) => s.metadata.name).sort());
  });

  it('keeps binary files intact and reads the same in YAML 1.1', () => {
    const text = renderNodeSecrets(topology, () => ({ 'blob.bin': Buffer.from([0, 255, 1]) }), 'dske');
    const docs = yamlStream(text, 'secrets');
    expect(docs[1].data).toEqual({ 'blob.bin': 'AP8B' });
    const read = (version: '1.1' | '1.2') => parseAllDocuments(text, { version }).map((d) => d.toJS());
    expect(read('1.1')).toEqual(read('1.2'));
  });

  it('refuses an invalid namespace', () => {
    expect(() => renderNodeSecrets(topology, filesOf, 'Lab_7')).toThrow(/namespace/);
  });
});
