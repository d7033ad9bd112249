/**
 * ./manager generate as a user runs it: in a directory holding the
 * repository's dske-config.yaml it writes exactly the committed deployment
 * files, and in the repository root --check finds them current.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manager, REPO_ROOT } from './support/manager-run';

describe('./manager generate on the repository topology', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dske-manager-generate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generate compose writes the committed docker-compose.generated.yml', async () => {
    copyFileSync(join(REPO_ROOT, 'dske-config.yaml'), join(dir, 'dske-config.yaml'));
    const run = await manager(dir, ['generate', 'compose']);
    expect(run).toEqual({ code: 0, stdout: ['Wrote docker-compose.generated.yml'], stderr: [] });
    expect(readFileSync(join(dir, 'docker-compose.generated.yml'), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'docker-compose.generated.yml'), 'utf8'));
  });

  it('generate k8s writes the committed deploy/k8s, one line per file', async () => {
    const committed = readdirSync(join(REPO_ROOT, 'deploy', 'k8s')).sort();
    const run = await manager(dir, ['generate', 'k8s']);
    expect(run).toEqual({ code: 0, stdout: committed.map((f) => `Wrote deploy/k8s/${f}`), stderr: [] });
    for (const f of committed) expect(readFileSync(join(dir, 'deploy', 'k8s', f), 'utf8'), f).toBe(readFileSync(join(REPO_ROOT, 'deploy', 'k8s', f), 'utf8'));
  });

  it('--check in the repository root: both are current', async () => {
    expect(await manager(REPO_ROOT, ['generate', 'compose', '--check'])).toEqual({ code: 0, stdout: ['docker-compose.generated.yml matches dske-config.yaml'], stderr: [] });
    const k8s = await manager(REPO_ROOT, ['generate', 'k8s', '--check']);
    expect(k8s.code).toBe(0);
    expect(k8s.stdout[0]).toMatch(/^\d+ files in deploy\/k8s match dske-config.yaml$/);
  });
});
