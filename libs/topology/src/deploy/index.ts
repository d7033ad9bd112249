/** Deployment files generated from a topology (pure: same topology and options, same bytes). */
import type { Topology } from '../plan';
import { COMPOSE_FILE, KUBERNETES_DIR } from './common';
import { renderCompose } from './compose';
import { renderKubernetes, type KubernetesOptions } from './kubernetes';

export {
  assertDeployable,
  BUNDLED_REDIS_URL,
  COMPOSE_FILE,
  CONTAINER_HOST,
  CONTAINER_TLS_DIR,
  containerEnvironment,
  containerTopology,
  DEFAULT_IMAGE,
  deployedRedisUrl,
  GENERATED_MARKER,
  HIDE_PSRD_ENV,
  KUBERNETES_DIR,
  readinessCheckScript,
  REDIS_IMAGE,
  REDIS_PORT,
  hubRedisService,
  PROVISION_SERVICE,
  CONTAINER_STATE_DIR,
  CONTAINER_HEALTH_PORT,
  containerHealthPort,
  regenerateCommand,
  servesTls,
  usesBundledRedis,
  type DeployOptions,
  type DeployTarget,
} from './common';
export {
  COMPOSE_HOST_IP,
  COMPOSE_PROJECT,
  nodeStateVolume,
  hubStoreNetwork,
  NODES_NETWORK,
  nodeSecretsVolume,
  OPERATOR_VOLUME,
  PROVISION_ROOT,
  redisDataVolume,
  renderCompose,
  type ComposeOptions,
} from './compose';
export {
  DEFAULT_NAMESPACE,
  KUSTOMIZATION_FILE,
  NODE_RESOURCES,
  REDIS_RESOURCES,
  NODE_STATE_STORAGE,
  nodeStateClaim,
  nodeSecretName,
  POD_REDIS_URL,
  podRedisUrl,
  redisDataClaim,
  renderKubernetes,
  renderNodeSecrets,
  TOPOLOGY_CONFIGMAP,
  TOPOLOGY_MOUNT_DIR,
  TLS_SECRET,
  type KubernetesOptions,
} from './kubernetes';
export { renderTopologyYaml } from './topology-yaml';
export { compareGenerated, describeDrift, type Drift } from './drift';
export { displayPath, existingGeneratedFiles } from './generated-files';

/** Both deployments as repository-relative paths -> text: docker-compose.generated.yml and deploy/k8s/*. */
export function renderDeployFiles(topology: Topology, options: KubernetesOptions): Record<string, string> {
  const files: Record<string, string> = { [COMPOSE_FILE]: renderCompose(topology, options) };
  for (const [name, text] of Object.entries(renderKubernetes(topology, options))) files[`${KUBERNETES_DIR}/${name}`] = text;
  return files;
}
