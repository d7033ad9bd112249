/**
 * deploy/k8s/ from a topology: a Namespace, the topology in a ConfigMap, a
 * Deployment and a Service per node and for Redis, and kustomization.yaml so
 * that `kubectl apply -k deploy/k8s` deploys the whole network.
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
  imageFlags,
  HIDE_PSRD_ENV,
  hostTlsDir,
  imageOf,
  REDIS_IMAGE,
  REDIS_PORT,
  REDIS_SERVICE,
  servesTls,
  toYaml,
  usesBundledRedis,
  type DeployOptions,
} from './common';
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

/** uid/gid of the `node` user in node:20-slim (docker/Dockerfile runs as 1000:1000). */
const NODE_UID = 1000;
/** uid of `redis` and gid of its group in the official redis alpine image. */
const REDIS_UID = 999;
const REDIS_GID = 1000;
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
  if (usesBundledRedis(topology)) files['redis.yaml'] = [k.redisDeployment(), k.service(REDIS_SERVICE, 'redis', REDIS_PORT)];
  for (const node of topology.nodes) {
    files[`${node.kind}-${node.name}.yaml`] = [k.nodeDeployment(node), k.service(node.name, node.kind, node.port)];
  }

  const flags = [...imageFlags(options.image), ...(namespace !== DEFAULT_NAMESPACE ? ['--namespace', namespace] : [])];
  const what = (docs: K8sObject[]): string => docs.map((d) => `${d.kind} ${(d.metadata as { name: string }).name}`).join(', ');
  const out: Record<string, string> = {};
  const names = Object.keys(files).sort();
  for (const name of [...names, KUSTOMIZATION_FILE].sort()) {
    if (name === KUSTOMIZATION_FILE) {
      const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: names };
      out[name] = generatedHeader('k8s', options.sourceFile, `the resource list for kubectl apply -k (namespace ${namespace})`, tlsNotes(topology, namespace, options.sourceFile), flags) + toYaml(kustomization);
    } else {
      const docs = files[name];
      out[name] = generatedHeader('k8s', options.sourceFile, what(docs), [], flags) + docs.map((d) => toYaml(d)).join('---\n');
    }
  }
  return out;
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
      // As the pods see it: tls_dir, when set, is where the TLS Secret is mounted.
      data: { 'dske-config.yaml': renderTopologyYaml(containerTopology(this.topology)) },
    };
  }

  service(name: string, component: string, port: number): K8sObject {
    const portName = component === 'redis' ? 'redis' : 'http';
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: this.metadata(name, component),
      spec: {
        type: 'ClusterIP',
        selector: this.selector(name),
        // Service port = container port = plan port, so hub URLs read http://NAME:PORT/hub/NAME everywhere.
        ports: [{ name: portName, port, targetPort: portName, protocol: 'TCP' }],
      },
    };
  }

  nodeDeployment(node: NodePlan): K8sObject {
    const tls = servesTls(this.topology, node);
    // kubelet probes HTTPS without checking the certificate.
    const http = (path: string) => ({ path, port: 'http', ...(tls ? { scheme: 'HTTPS' } : {}) });
    const mounts: K8sObject[] = [
      { name: 'topology', mountPath: TOPOLOGY_MOUNT_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ];
    const volumes: K8sObject[] = [
      { name: 'topology', configMap: { name: TOPOLOGY_CONFIGMAP } },
      { name: 'tmp', emptyDir: {} },
    ];
    if (tls) {
      // Only this client's certificate and key and the CA certificate, at the paths its DSKE_TLS_* variables name.
      const files = Object.values(clientTlsPaths(CONTAINER_TLS_DIR, node.name)).map((path) => basename(path));
      mounts.push({ name: 'tls', mountPath: CONTAINER_TLS_DIR, readOnly: true });
      volumes.push({ name: 'tls', secret: { secretName: TLS_SECRET, defaultMode: 0o440, items: files.map((key) => ({ key, path: key })) } });
    }
    const container = {
      name: node.kind,
      image: imageOf(this.options),
      imagePullPolicy: 'IfNotPresent',
      args: [node.kind],
      env: Object.entries(containerEnvironment(this.topology, node, { [HIDE_PSRD_ENV]: '1' })).map(([name, value]) => ({ name, value })),
      ports: [{ name: 'http', containerPort: node.port, protocol: 'TCP' }],
      // Startup holds the other probes back while Node starts; liveness only asks whether HTTP is served.
      startupProbe: { httpGet: http('/healthz'), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 60 },
      readinessProbe: { httpGet: http('/readyz'), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
      livenessProbe: { httpGet: http('/healthz'), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      resources: NODE_RESOURCES,
      securityContext: restrictedContainer(),
      volumeMounts: mounts,
    };
    return this.deployment(node.name, node.kind, { uid: NODE_UID, gid: NODE_UID }, container, volumes);
  }

  redisDeployment(): K8sObject {
    const ping = { exec: { command: ['redis-cli', 'ping'] } };
    const container = {
      name: 'redis',
      image: REDIS_IMAGE,
      imagePullPolicy: 'IfNotPresent',
      // Shares are short-lived (share_timeout_secs): no snapshots, no append-only file.
      command: ['redis-server', '--save', '', '--appendonly', 'no'],
      ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
      readinessProbe: { ...ping, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
      livenessProbe: { tcpSocket: { port: 'redis' }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      resources: REDIS_RESOURCES,
      securityContext: restrictedContainer(),
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
    };
    return this.deployment(REDIS_SERVICE, 'redis', { uid: REDIS_UID, gid: REDIS_GID }, container, [{ name: 'data', emptyDir: {} }]);
  }

  private deployment(name: string, component: string, user: { uid: number; gid: number }, container: K8sObject, volumes: K8sObject[]): K8sObject {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: this.metadata(name, component),
      spec: {
        replicas: 1,
        // One instance per node at any time: a node's PSRD pools live in that one process.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: this.selector(name) },
        template: {
          metadata: { labels: this.labels(name, component) },
          spec: {
            // Service links would inject variables such as REDIS_PORT=tcp://... into every container.
            enableServiceLinks: false,
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: user.uid, runAsGroup: user.gid, fsGroup: user.gid, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [container],
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
