// Runs the container tests where a Docker engine with Compose v2 answers; elsewhere says in one line why they were skipped.
// CI (.ci/run) starts an engine first with ../shared/tools/container-engine.sh, so there they always run.
import { spawnSync } from 'node:child_process';

const probe = spawnSync('docker', ['compose', 'version', '--short'], { encoding: 'utf8' });
const engine = probe.status === 0 ? spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' }) : probe;
if (probe.error || probe.status !== 0 || engine.status !== 0) {
  const why = probe.error ? `no docker command (${probe.error.code})` : (engine.stderr || probe.stderr || '').trim().split('\n')[0] || 'docker did not answer';
  console.log(`containers-e2e: skipped, no Docker engine with Compose v2 answers here (${why}); bash ../shared/tools/container-engine.sh (as root) provides one`);
  process.exit(0);
}
const run = spawnSync('npx', ['vitest', 'run', '--project', 'containers-e2e'], { stdio: 'inherit' });
process.exit(run.status ?? 1);
