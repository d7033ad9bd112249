import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { containerTopology, KUSTOMIZATION_FILE, loadTopology, parseTopology, renderKubernetes, TLS_SECRET, TopologyError, type Topology } from '../index';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
const KUBECTL = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
if (KUBECTL === undefined) console.warn('kubernetes.spec: kubectl is not installed, so the `kubectl kustomize` checks are skipped (.ci/run installs Debian\'s kubernetes-client).');

const doc = (...lines: string[]): string => `${lines.join('\n')}\n`;
const TOPOLOGIES: Record<string, () => Topology> = {
  'dske-config.yaml': () => loadTopology(resolve(REPO_ROOT, 'dske-config.yaml')),
  '3 hubs, 2 clients': () =>
    parseTopology(doc('hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients:', '  - {name: carol, encryptors: [{name: sam}]}', '  - {name: curtis, encryptors: [{name: sunny}]}'), 't.yaml'),
  '16 hubs': () =>
    parseTopology(doc('base_port: 30000', `hubs: [${Array.from({ length: 16 }, (_, i) => `{name: hub${i + 1}}`).join(', ')}]`, 'clients: [{name: carol, encryptors: [{name: sam}]}]'), 't.yaml'),
  'a client with no encryptors': () => parseTopology(doc('min_nr_shares: 1', 'hubs: [{name: hank}]', 'clients: [{name: cindy}]'), 't.yaml'),
  'mutual TLS (tls_dir)': () =>
    parseTopology(doc('tls_dir: pki', 'min_nr_shares: 2', 'hubs: [{name: hank}, {name: helen}]', 'clients: [{name: carol, encryptors: [{name: sam}]}, {name: curtis}]'), '/labs/net/dske-config.yaml'),
  'external redis_url': () => parseTopology(doc('redis_url: rediss://:pw@cache.example.net:6380/2', 'hubs: [{name: a}, {name: b}, {name: c}]', 'clients: []'), 't.yaml'),
};

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> }; // eslint-disable-line @typescript-eslint/no-explicit-any

function objects(files: Record<string, string>): Map<string, Obj[]> {
  const out = new Map<string, Obj[]>();
  for (const [name, text] of Object.entries(files)) {
    if (name === KUSTOMIZATION_FILE) continue;
    const docs = parseAllDocuments(text);
    for (const d of docs) expect(d.errors, name).toEqual([]);
    out.set(
      name,
      docs.map((d) => d.toJS() as Obj),
    );
  }
  return out;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
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

describe('renderKubernetes', () => {
  for (const [label, load] of Object.entries(TOPOLOGIES)) {
    describe(label, () => {
      const topology = load();
      const files = renderKubernetes(topology, { sourceFile: 'dske-config.yaml' });
      const all = [...objects(files).values()].flat();

      it('every object validates with kubernetes-models', () => {
        for (const obj of all) validateWithModels(obj);
        const kinds = all.map((o) => o.kind);
        const redis = topology.settings.redis_url === undefined ? 1 : 0;
        expect(kinds.filter((k) => k === 'Namespace')).toHaveLength(1);
        expect(kinds.filter((k) => k === 'ConfigMap')).toHaveLength(1);
        expect(kinds.filter((k) => k === 'Deployment')).toHaveLength(topology.nodes.length + redis);
        expect(kinds.filter((k) => k === 'Service')).toHaveLength(topology.nodes.length + redis);
      });

      it.skipIf(KUBECTL === undefined)('kubectl kustomize builds the whole set', () => {
        const built = kustomize(files);
        expect(built.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(all.map((o) => `${o.kind}/${o.metadata.name}`).sort());
        for (const obj of built) if (obj.kind !== 'Namespace') expect(obj.metadata.namespace, `${obj.kind}/${obj.metadata.name}`).toBe('dske');
        // kubectl applies the Namespace before what lives in it.
        expect(built[0].kind).toBe('Namespace');
      });

      it('kustomization.yaml lists every other file', () => {
        const k = parse(files[KUSTOMIZATION_FILE]) as { kind: string; resources: string[] };
        expect(k.kind).toBe('Kustomization');
        expect(k.resources).toEqual(Object.keys(files).filter((f) => f !== KUSTOMIZATION_FILE));
      });

      it('services select their pods, ports follow the plan, clients find the hubs by service name', () => {
        const deployments = new Map(all.filter((o) => o.kind === 'Deployment').map((o) => [o.metadata.name, o]));
        const services = new Map(all.filter((o) => o.kind === 'Service').map((o) => [o.metadata.name, o]));
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
          const container = deployments.get(node.name)!.spec.template.spec.containers[0];
          const env = Object.fromEntries((container.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
          expect(container.args).toEqual([node.kind]);
          expect(env.DSKE_NAME).toBe(node.name);
          expect(env.DSKE_PORT).toBe(String(node.port));
          expect(services.get(node.name)!.spec.ports[0].port).toBe(node.port);
          expect(env.DSKE_HOST).toBe('0.0.0.0');
          expect(env.DSKE_HIDE_PSRD).toBe('1');
          if (node.kind === 'hub') {
            const url = new URL(env.REDIS_URL);
            if (topology.settings.redis_url === undefined) {
              expect(services.get(url.hostname)?.spec.ports[0].port).toBe(Number(url.port));
            } else {
              expect(env.REDIS_URL).toBe(topology.settings.redis_url);
            }
          } else {
            const urls = env.DSKE_HUBS.split(' ').map((u: string) => new URL(u));
            expect(urls.map((u: URL) => u.hostname)).toEqual(topology.hubs.map((h) => h.name));
            for (const url of urls) expect(services.get(url.hostname)?.spec.ports[0].port).toBe(Number(url.port));
          }
        }
      });

      it('every container has probes, resource requests and limits, and runs as non-root', () => {
        for (const d of all.filter((o) => o.kind === 'Deployment')) {
          const pod = d.spec.template.spec;
          expect(pod.securityContext.runAsNonRoot).toBe(true);
          expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
          for (const c of pod.containers) {
            expect(c.readinessProbe, d.metadata.name).toBeDefined();
            expect(c.livenessProbe, d.metadata.name).toBeDefined();
            for (const kind of ['requests', 'limits']) {
              expect(c.resources[kind].cpu, `${d.metadata.name} ${kind}`).toMatch(/^\d+m?$/);
              expect(c.resources[kind].memory, `${d.metadata.name} ${kind}`).toMatch(/^\d+Mi$/);
            }
            if (d.metadata.name !== 'redis') {
              // TLS clients serve HTTPS on the same port; kubelet probes it without checking the certificate.
              const scheme = d.metadata.labels?.['app.kubernetes.io/component'] === 'client' && topology.settings.tls_dir !== undefined ? { scheme: 'HTTPS' } : {};
              expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http', ...scheme });
              expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http', ...scheme });
            }
          }
        }
      });

      it('the ConfigMap holds the topology, which loads back to the same plan', () => {
        const cm = all.find((o) => o.kind === 'ConfigMap')!;
        const again = parseTopology(cm.data!['dske-config.yaml'], '/etc/dske/dske-config.yaml');
        // As the pods see it: tls_dir is where the TLS Secret is mounted.
        expect(again.settings).toEqual(containerTopology(topology).settings);
        expect(again.nodes).toEqual(topology.nodes);
      });

      it('is deterministic', () => {
        expect(renderKubernetes(load(), { sourceFile: 'dske-config.yaml' })).toEqual(files);
        expect(Object.keys(files)).toEqual([...Object.keys(files)].sort());
        // kubectl reads YAML 1.1: no value may change meaning there (no bare no/on/yes).
        const read = (text: string, version: '1.1' | '1.2') => parseAllDocuments(text, { version }).map((d) => d.toJS());
        for (const text of Object.values(files)) expect(read(text, '1.1')).toEqual(read(text, '1.2'));
      });
    });
  }

  it('TLS clients mount their own files from the dske-tls Secret where DSKE_TLS_* point; kustomization.yaml says how to create it', () => {
    const files = renderKubernetes(TOPOLOGIES['mutual TLS (tls_dir)'](), { sourceFile: 'dske-config.yaml' });
    const [carol] = objects(files).get('client-carol.yaml')!;
    const pod = carol.spec.template.spec;
    expect(pod.volumes.find((v: { name: string }) => v.name === 'tls')).toEqual({
      name: 'tls',
      secret: { secretName: TLS_SECRET, defaultMode: 0o440, items: ['kme-carol.crt', 'kme-carol.key', 'ca.crt'].map((key) => ({ key, path: key })) },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/dske/tls', readOnly: true });
    const env = Object.fromEntries((pod.containers[0].env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
    expect([env.DSKE_TLS_CERT, env.DSKE_TLS_KEY, env.DSKE_TLS_CA]).toEqual(['/etc/dske/tls/kme-carol.crt', '/etc/dske/tls/kme-carol.key', '/etc/dske/tls/ca.crt']);
    const [hank] = objects(files).get('hub-hank.yaml')!;
    expect(JSON.stringify(hank)).not.toContain('tls');
    expect(files[KUSTOMIZATION_FILE]).toContain(
      '#   kubectl create namespace dske; kubectl -n dske create secret generic dske-tls --from-file=pki/kme-carol.crt --from-file=pki/kme-carol.key --from-file=pki/ca.crt --from-file=pki/kme-curtis.crt --from-file=pki/kme-curtis.key\n',
    );
    expect(Object.values(files).join('\n')).not.toContain('/labs/net');
  });

  it('kubernetes-models catches what it should (the validation has teeth)', () => {
    const files = renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'](), { sourceFile: 'x.yaml' });
    const [deployment] = objects(files).get('hub-hank.yaml')!;
    const wrongType = structuredClone(deployment);
    wrongType.spec.replicas = 'one';
    expect(() => validateWithModels(wrongType)).toThrow(/replicas/);
    const noSelector = structuredClone(deployment);
    delete noSelector.spec.selector;
    expect(() => validateWithModels(noSelector)).toThrow(/selector/);
  });

  it.skipIf(KUBECTL === undefined)('kubectl kustomize fails on a missing resource (the build check has teeth)', () => {
    const files = renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'](), { sourceFile: 'x.yaml' });
    delete files['hub-hank.yaml'];
    expect(() => kustomize(files)).toThrow();
  });

  it('takes a namespace and an image', () => {
    const files = renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'](), { sourceFile: 'x.yaml', namespace: 'lab-7', image: 'registry.lab/dske:0.1.0' });
    const all = [...objects(files).values()].flat();
    expect(all.find((o) => o.kind === 'Namespace')?.metadata.name).toBe('lab-7');
    for (const o of all) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe('lab-7');
    const hank = all.find((o) => o.kind === 'Deployment' && o.metadata.name === 'hank')!;
    expect(hank.spec.template.spec.containers[0].image).toBe('registry.lab/dske:0.1.0');
    expect(files['hub-hank.yaml'].split('\n')[2]).toBe('#   ./manager --config x.yaml generate k8s --image registry.lab/dske:0.1.0 --namespace lab-7');
    expect(() => renderKubernetes(TOPOLOGIES['3 hubs, 2 clients'](), { sourceFile: 'x.yaml', namespace: 'Lab_7' })).toThrow(/namespace/);
  });

  it('rejects a node named redis', () => {
    const topology = parseTopology(doc('hubs: [{name: redis}]', 'min_nr_shares: 1', 'clients: []'), 'lab.yaml');
    expect(() => renderKubernetes(topology, { sourceFile: 'lab.yaml' })).toThrow(TopologyError);
    expect(() => renderKubernetes(topology, { sourceFile: 'lab.yaml' })).toThrow(/^lab\.yaml: hubs\[0\]\.name: the name 'redis' is reserved/);
  });
});
