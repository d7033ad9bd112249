import type { ManagerIo } from '../io';
import { runManager } from '../run';

/** Run the manager in-process with captured output lines (for unit tests). */
export async function runInProcess(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: ManagerIo = { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(...l.split('\n')), cwd, env };
  const code = await runManager(args, io);
  return { code, out, err };
}
