/**
 * deploy/k8s/ from a topology: a Namespace, the topology in a ConfigMap, a
 * Deployment and a Service per node (each hub's pod with a Redis of its own
 * beside it, on the pod's loopback, and PersistentVolumeClaims of its own
 * for the hub's storage key and for Redis' append-only file), and kustomization.yaml so
 * that `kubectl apply -k deploy/k8s` deploys the whole network. A secure
 * deployment mounts each node's own Secret (renderNodeSecrets).
 */
import { basename } from 'node:path';
import type { NodePlan, Topology } from '../plan';
import { clientTlsPaths } from '../tls-files';
import {
  assertDeployable,
  containerEnvironment,
  containerTopology,
  CONTAINER_TLS_DIR,
  generatedHeader,
  hostTlsDir,
  regenerateCommand,
  imageOf,
  CONTAINER_STATE_DIR,
  optionFlags,
  REDIS_IMAGE,
  REDIS_PORT,
  servesTls,
  toYaml,
  usesBundledRedis,
  deployedRedisUrl,
  type DeployOptions,
} from './common';
import { CONTAINER_SECRETS_DIR } from '../provision-files';
import { renderTopologyYaml } from './topology-yaml';

export interface KubernetesOptions extends DeployOptions {
  /** Namespace of every object; default DEFAULT_NAMESPACE. */
  namespace?: string;
}

export const DEFAULT_NAMESPACE = 'dske';
export const TOPOLOGY_CONFIGMAP = 'dske-topology';
/** Where each node pod sees the topology file (for `manager --config` inside the pod). */
export const TOPOLOGY_MOUNT_DIR = '/etc/dske';
export const KUSTOMIZATION_FILE = 'kustomization.yaml';
/**
 * With tls_dir, the clients' certificates and keys come from this Secret,
 * which the generator does not write (keys stay out of the repository):
 *   kubectl -n NAMESPACE create secret generic dske-tls --from-file=TLS_DIR/ca.crt --from-file=TLS_DIR/kme-NAME.crt --from-file=TLS_DIR/kme-NAME.key ...
 */
export const TLS_SECRET = 'dske-tls';

/** Per container; a node holds its PSRD pools and pending keys in memory. */
export const NODE_RESOURCES = { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
export const REDIS_RESOURCES = { requests: { cpu: '25m', memory: '32Mi' }, limits: { cpu: '250m', memory: '128Mi' } };
/** A hub's claims: one for its storage key, one for its Redis' append-only file. */
export const NODE_STATE_STORAGE = '256Mi';
/** Each hub's Redis listens on its pod's loopback: only the hub beside it reaches it. */
export const POD_REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}/0`;

/** The bundled template as the hub sees its Redis in the pod: loopback, the template's database kept. */
export function podRedisUrl(template: string): string {
  const url = new URL(template.replaceAll('{name}', 'x').replaceAll('{index}', '0'));
  return `redis://127.0.0.1:${REDIS_PORT}${url.pathname === '' || url.pathname === '/' ? '/0' : url.pathname}`;
}

/** The Secret with one node's own credentials (`manager provision --k8s-secrets` writes it). */
export function nodeSecretName(node: Pick<NodePlan, 'kind' | 'name'>): string {
  return `dske-${node.kind}-${node.name}`;
}
/** Each node's own state volume (storage key; a client's state file). */
export const nodeStateClaim = (node: string) => `${node}-state`;
/** The hub's Redis keeps its file on a claim of its own: it never sees the storage key. */
export const redisDataClaim = (hub: string) => `${hub}-redis-data`;

/** uid/gid of the `node` user in node:20-slim (docker/Dockerfile runs as 1000:1000); the hub's Redis runs as the same user in its pod. */
const NODE_UID = 1000;
const APP = 'dske';
const NAMESPACE_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

type K8sObject = Record<string, unknown>;

/** File name (relative to deploy/k8s) -> YAML text, keys in sorted order. */
export function renderKubernetes(topology: Topology, options: KubernetesOptions): Record<string, string> {
  assertDeployable(topology);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  if (!NAMESPACE_PATTERN.test(namespace)) throw new Error(`invalid Kubernetes namespace '${namespace}' (a lower-case DNS label)`);
  const k = new Manifests(topology, options, namespace);

  const files: Record<string, K8sObject[]> = {
    'namespace.yaml': [k.namespaceObject()],
    'topology-configmap.yaml': [k.topologyConfigMap()],
  };
  for (const node of topology.nodes) {
    files[`${node.kind}-${node.name}.yaml`] = [
      k.claim(nodeStateClaim(node.name), node.kind),
      ...(node.kind === 'hub' && usesBundledRedis(topology) ? [k.claim(redisDataClaim(node.name), 'hub')] : []),
      k.nodeDeployment(node),
      k.service(node.name, node.kind, node.port),
    ];
  }

  const flags = [...optionFlags(options), ...(namespace !== DEFAULT_NAMESPACE ? ['--namespace', namespace] : [])];
  const what = (docs: K8sObject[]): string => docs.map((d) => `${d.kind} ${(d.metadata as { name: string }).name}`).join(', ');
  const out: Record<string, string> = {};
  const names = Object.keys(files).sort();
  for (const name of [...names, KUSTOMIZATION_FILE].sort()) {
    if (name === KUSTOMIZATION_FILE) {
      const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: names };
      const notes = options.lab ? [...LAB_NOTES, ...tlsNotes(topology, namespace, options.sourceFile)] : secureNotes(namespace, options.sourceFile);
      out[name] = generatedHeader('k8s', options.sourceFile, `${options.lab ? 'LAB MODE, ' : ''}the resource list for kubectl apply -k (namespace ${namespace})`, notes, flags) + toYaml(kustomization);
    } else {
      const docs = files[name];
      out[name] = generatedHeader('k8s', options.sourceFile, what(docs), [], flags) + docs.map((d) => toYaml(d)).join('---\n');
    }
  }
  return out;
}

const LAB_NOTES = ['LAB MODE (generate --lab): plain HTTP, open ETSI (SAE named in a header), open mgmt and oob. Not for a shared cluster.'];

/** A secure deployment's Secrets must exist before the pods start. */
function secureNotes(namespace: string, sourceFile: string): string[] {
  // The same command as the regenerate line, so --config names the same topology.
  const provision = regenerateCommand('k8s', sourceFile).replace(/ generate k8s$/, ' provision --k8s-secrets');
  return [
    'Secure: each node mounts Secret dske-KIND-NAME with its own certificate and mgmt token (not generated: keys stay',
    'out of the repository). Create them first, once (the operator keeps dske-secrets/operator):',
    `  ${provision}${namespace !== DEFAULT_NAMESPACE ? ` --namespace ${namespace}` : ''} | kubectl apply -f -`,
  ];
}

/** With tls_dir, the Secret the clients mount must exist before they start. */
function tlsNotes(topology: Topology, namespace: string, sourceFile: string): string[] {
  if (topology.settings.tls_dir === undefined) return [];
  const dir = hostTlsDir(topology, sourceFile);
  const files = [...new Set(topology.clients.flatMap((c) => Object.values(clientTlsPaths(dir, c.name))))];
  return [
    `The TLS clients mount Secret ${TLS_SECRET} (not generated: keys stay out of the repository). Create it first:`,
    `  kubectl create namespace ${namespace}; kubectl -n ${namespace} create secret generic ${TLS_SECRET} ${files.map((f) => `--from-file=${f}`).join(' ')}`,
  ];
}

class Manifests {
  constructor(
    private readonly topology: Topology,
    private readonly options: KubernetesOptions,
    private readonly namespace: string,
  ) {}

  private labels(name: string, component: string): Record<string, string> {
    return {
      'app.kubernetes.io/component': component,
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/managed-by': 'dske-generator',
      'app.kubernetes.io/name': APP,
      'app.kubernetes.io/part-of': APP,
    };
  }

  private selector(name: string): Record<string, string> {
    return { 'app.kubernetes.io/instance': name, 'app.kubernetes.io/name': APP };
  }

  private metadata(name: string, component: string): K8sObject {
    return { name, namespace: this.namespace, labels: this.labels(name, component) };
  }

  namespaceObject(): K8sObject {
    return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace, labels: { 'app.kubernetes.io/managed-by': 'dske-generator', 'app.kubernetes.io/part-of': APP } } };
  }

  topologyConfigMap(): K8sObject {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: this.metadata(TOPOLOGY_CONFIGMAP, 'config'),
      // As the pods see it: tls_dir, when set in a lab deployment, is where the TLS Secret is mounted.
      data: { 'dske-config.yaml': renderTopologyYaml(containerTopology(this.topology, this.lab)) },
    };
  }

  private get lab(): boolean {
    return this.options.lab === true;
  }

  service(name: string, component: string, port: number): K8sObject {
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: this.metadata(name, component),
      spec: {
        type: 'ClusterIP',
        selector: this.selector(name),
        // Service port = container port = plan port, so hub URLs read https://NAME:PORT/hub/NAME everywhere.
        ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }],
      },
    };
  }

  claim(name: string, component: 'hub' | 'client'): K8sObject {
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: this.metadata(name, component),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: NODE_STATE_STORAGE } } },
    };
  }

  nodeDeployment(node: NodePlan): K8sObject {
    const tls = servesTls(this.topology, node, this.lab);
    const podRedis = node.kind === 'hub' && usesBundledRedis(this.topology);
    // kubelet probes HTTPS without checking the certificate (and sends none: health needs no client certificate).
    const http = (path: string) => ({ path, port: 'http', ...(tls ? { scheme: 'HTTPS' } : {}) });
    const mounts: K8sObject[] = [
      { name: 'topology', mountPath: TOPOLOGY_MOUNT_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ];
    const volumes: K8sObject[] = [
      { name: 'topology', configMap: { name: TOPOLOGY_CONFIGMAP } },
      { name: 'tmp', emptyDir: {} },
    ];
    mounts.push({ name: 'state', mountPath: CONTAINER_STATE_DIR });
    volumes.push({ name: 'state', persistentVolumeClaim: { claimName: nodeStateClaim(node.name) } });
    if (podRedis) volumes.push({ name: 'redis-data', persistentVolumeClaim: { claimName: redisDataClaim(node.name) } });
    if (!this.lab) {
      mounts.push({ name: 'secrets', mountPath: CONTAINER_SECRETS_DIR, readOnly: true });
      volumes.push({ name: 'secrets', secret: { secretName: nodeSecretName(node), defaultMode: 0o440 } });
    } else if (tls) {
      // Only this client's certificate and key and the CA certificate, at the paths its DSKE_TLS_* variables name.
      const files = Object.values(clientTlsPaths(CONTAINER_TLS_DIR, node.name)).map((path) => basename(path));
      mounts.push({ name: 'tls', mountPath: CONTAINER_TLS_DIR, readOnly: true });
      volumes.push({ name: 'tls', secret: { secretName: TLS_SECRET, defaultMode: 0o440, items: files.map((key) => ({ key, path: key })) } });
    }
    const env = containerEnvironment(this.topology, node, { lab: this.lab, redisUrl: podRedis ? podRedisUrl(deployedRedisUrl(this.topology)) : undefined });
    const container = {
      name: node.kind,
      image: imageOf(this.options),
      imagePullPolicy: 'IfNotPresent',
      args: [node.kind],
      env: Object.entries(env).map(([name, value]) => ({ name, value })),
      ports: [{ name: 'http', containerPort: node.port, protocol: 'TCP' }],
      // Startup holds the other probes back while Node starts; liveness only asks whether HTTP is served.
      startupProbe: { httpGet: http('/healthz'), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 60 },
      readinessProbe: { httpGet: http('/readyz'), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
      livenessProbe: { httpGet: http('/healthz'), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      resources: NODE_RESOURCES,
      securityContext: restrictedContainer(),
      volumeMounts: mounts,
    };
    const containers = podRedis ? [container, this.redisContainer()] : [container];
    // The usual scrape annotations: /metrics on the node's own port (HTTPS, and the node's mgmt token, in a secure deployment).
    const scrape = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(node.port), 'prometheus.io/path': '/metrics', 'prometheus.io/scheme': tls ? 'https' : 'http' };
    return this.deployment(node.name, node.kind, { uid: NODE_UID, gid: NODE_UID }, containers, volumes, scrape);
  }

  /** The hub's own Redis, on the pod's loopback only; append-only file on a claim of its own. */
  private redisContainer(): K8sObject {
    const ping = { exec: { command: ['redis-cli', 'ping'] } };
    return {
      name: 'redis',
      image: REDIS_IMAGE,
      imagePullPolicy: 'IfNotPresent',
      command: ['redis-server', '--bind', '127.0.0.1', '--protected-mode', 'yes', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', '/data'],
      readinessProbe: { ...ping, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
      livenessProbe: { ...ping, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      resources: REDIS_RESOURCES,
      securityContext: restrictedContainer(),
      volumeMounts: [{ name: 'redis-data', mountPath: '/data' }],
    };
  }

  private deployment(name: string, component: string, user: { uid: number; gid: number }, containers: K8sObject[], volumes: K8sObject[], annotations: Record<string, string>): K8sObject {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: this.metadata(name, component),
      spec: {
        replicas: 1,
        // One instance per node at any time: a node's PSRD pools live in that one process (and a hub's claims mount once).
        strategy: { type: 'Recreate' },
        selector: { matchLabels: this.selector(name) },
        template: {
          metadata: { labels: this.labels(name, component), annotations },
          spec: {
            // Service links would inject variables such as REDIS_PORT=tcp://... into every container.
            enableServiceLinks: false,
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: user.uid, runAsGroup: user.gid, fsGroup: user.gid, seccompProfile: { type: 'RuntimeDefault' } },
            containers,
            volumes,
          },
        },
      },
    };
  }
}

function restrictedContainer(): K8sObject {
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
}

/**
 * The Secrets of a secure deployment, for `kubectl apply -f -`: the
 * Namespace, then one Secret per node holding that node's own files only.
 */
export function renderNodeSecrets(topology: Topology, filesOf: (node: NodePlan) => Record<string, Buffer>, namespace = DEFAULT_NAMESPACE): string {
  if (!NAMESPACE_PATTERN.test(namespace)) throw new Error(`invalid Kubernetes namespace '${namespace}' (a lower-case DNS label)`);
  const docs: K8sObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'app.kubernetes.io/managed-by': 'dske-generator', 'app.kubernetes.io/part-of': APP } } }];
  for (const node of topology.nodes) {
    const data = Object.fromEntries(Object.entries(filesOf(node)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, bytes]) => [name, bytes.toString('base64')]));
    docs.push({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: nodeSecretName(node), namespace, labels: { 'app.kubernetes.io/instance': node.name, 'app.kubernetes.io/name': APP, 'app.kubernetes.io/part-of': APP } },
      data,
    });
  }
  return docs.map((d) => toYaml(d)).join('---\n');
}
