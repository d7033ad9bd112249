/**
 * redis_url in a topology is a template: each hub gets a store of its own.
 * `{name}` stands for the hub's name and `{index}` for its position (0-based),
 * e.g. redis://{name}-redis:6379/0 in containers. Two hubs on one Redis server
 * would put k shares of every key in one place, which is what DSKE exists to
 * avoid, so the rule here refuses it.
 */
import type { HubPlan } from './plan';

export const REDIS_DEFAULT_PORT = 6379;

/** The URL hub `hub` uses, from the topology's template. */
export function hubRedisUrl(template: string, hub: Pick<HubPlan, 'name' | 'index'>): string {
  return template.replaceAll('{name}', hub.name).replaceAll('{index}', String(hub.index));
}

/** The Redis server a URL names (host:port, default port filled in), lower case; undefined when it is no URL. */
export function redisServer(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname.toLowerCase()}:${parsed.port === '' ? REDIS_DEFAULT_PORT : parsed.port}`;
  } catch {
    return undefined;
  }
}

/** Why the template would make two hubs share one Redis server, or undefined when every hub has its own. */
export function sharedStoreProblem(template: string, hubs: ReadonlyArray<Pick<HubPlan, 'name' | 'index'>>): string | undefined {
  const owners = new Map<string, string>();
  for (const hub of hubs) {
    const server = redisServer(hubRedisUrl(template, hub));
    if (server === undefined) continue;
    const other = owners.get(server);
    if (other !== undefined) {
      return (
        `gives hubs ${other} and ${hub.name} the same Redis server ${server}; each hub is its own trust domain and needs a store ` +
        `of its own (one store holding k shares of a key undoes DSKE): put {name} into the host, e.g. redis://{name}-redis:6379/0`
      );
    }
    owners.set(server, hub.name);
  }
  return undefined;
}
