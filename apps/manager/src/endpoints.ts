/**
 * Where the manager reaches each node. By default a node is a local process
 * listening on 127.0.0.1 at its plan port (what `start` launches). A deployed
 * topology is reached elsewhere:
 *
 *   --url-base URL       every node at URL:<plan port>, e.g. http://127.0.0.1
 *                        for docker compose's published ports; or a template
 *                        with {port}, {kind} and {name}, e.g.
 *                        http://{name}.dske.svc:{port}
 *   --node-url NAME=URL  one node at URL (repeatable; wins over --url-base)
 *
 * A node's API is under <root>/<kind>/<name> and its readiness at
 * <root>/readyz, as the nodes serve them. With tls_dir, clients serve HTTPS:
 * they are reached with https whatever scheme was given, and their server
 * certificate must chain to the lab CA.
 */
import { DEFAULT_HOST, MGMT_TOKEN_ENV, type NodePlan, type Topology } from '@dske/topology';
import { ManagerError, UsageError } from './errors';
import type { TlsOptions } from './http';
import { LabPkiFiles, PROVISION_HINT } from './lab-pki-files';
import { describeNode } from './selection';

const PLACEHOLDERS = ['port', 'kind', 'name'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

/** --url-base as given, checked. */
export interface UrlBase {
  text: string;
}

/** One --node-url NAME=URL. */
export interface NodeUrl {
  name: string;
  url: string;
}

/** Where the manager finds the nodes: the command-line overrides. */
export interface Addressing {
  urlBase?: UrlBase;
  nodeUrls?: readonly NodeUrl[];
  /** --credentials: the operator's directory of a secure deployment. */
  credentials?: string;
}

function fill(template: string, values: Record<Placeholder, string>): string {
  return template.replace(/\{(port|kind|name)\}/g, (_, key: Placeholder) => values[key]);
}

/** An http(s) URL without query or fragment; `what` names the option in messages. */
function checkUrl(what: string, given: string, url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${what}: expected an http:// or https:// URL, got '${given}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`${what}: expected an http:// or https:// URL, got '${given}'`);
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
    throw new UsageError(`${what}: the URL may not have a query, a fragment or credentials, got '${given}'`);
  }
  return parsed;
}

/** --url-base URL: a base URL without a port, or a template using {port}, {kind}, {name}. */
export function parseUrlBase(value: string): UrlBase {
  const unknown = [...value.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).find((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown !== undefined) throw new UsageError(`--url-base: unknown placeholder {${unknown}} (use {port}, {kind}, {name})`);
  const template = /\{(port|kind|name)\}/.test(value);
  const sample = checkUrl('--url-base', value, fill(value, { port: '8100', kind: 'hub', name: 'hank' }));
  // Any explicit port, also the scheme's default one (which URL drops).
  if (!template && (sample.port !== '' || /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(\[[^\]]*\]|[^/?#:[]*):/.test(value))) {
    throw new UsageError(`--url-base: '${value}' names a port, but each node has its own: leave the port out (it comes from the port plan) or write {port}`);
  }
  return { text: value };
}

/** --node-url NAME=URL, collected; the names are checked against the topology later. */
export function parseNodeUrl(value: string, previous: NodeUrl[]): NodeUrl[] {
  const at = value.indexOf('=');
  if (at <= 0) throw new UsageError(`--node-url: expected NAME=URL, got '${value}'`);
  const name = value.slice(0, at);
  const url = value.slice(at + 1);
  checkUrl('--node-url', url, url);
  if (previous.some((n) => n.name === name)) throw new UsageError(`--node-url: node '${name}' given twice`);
  return [...previous, { name, url }];
}

export interface Endpoint {
  /** scheme://host:port[/prefix] without a trailing slash; /readyz is under it. */
  root: string;
  /** The node's API base: <root>/<kind>/<name>. */
  api: string;
  /** Given on the command line: not necessarily a process of this machine, so no port checks or PIDs. */
  remote: boolean;
  /** HTTPS: a client of a topology with tls_dir. */
  tls: boolean;
}

export class Endpoints {
  private readonly byName: Map<string, string>;
  /** The lab PKI, with tls_dir. */
  readonly pki: LabPkiFiles | undefined;
  /** A secure deployment's operator credentials (--credentials): every node serves HTTPS and takes its own mgmt token. */
  readonly credentials: LabPkiFiles | undefined;

  constructor(
    topology: Topology,
    private readonly addressing: Addressing,
    configName: string,
  ) {
    for (const { name } of addressing.nodeUrls ?? []) {
      if (!topology.nodes.some((n) => n.name === name)) throw new ManagerError(`--node-url: unknown node '${name}' (not in ${configName})`);
    }
    this.byName = new Map((addressing.nodeUrls ?? []).map((n) => [n.name, n.url]));
    this.pki = topology.settings.tls_dir === undefined ? undefined : new LabPkiFiles(topology.settings.tls_dir);
    this.credentials = addressing.credentials === undefined ? undefined : new LabPkiFiles(addressing.credentials, PROVISION_HINT);
  }

  /** True when --url-base or --node-url was given. */
  get overridden(): boolean {
    return this.addressing.urlBase !== undefined || this.byName.size > 0;
  }

  of(node: NodePlan): Endpoint {
    const tls = this.credentials !== undefined || (node.kind === 'client' && this.pki !== undefined);
    const given = this.byName.get(node.name);
    let root: string;
    let remote = true;
    if (given !== undefined) {
      root = given;
    } else if (this.addressing.urlBase !== undefined) {
      const base = this.addressing.urlBase.text;
      if (/\{(port|kind|name)\}/.test(base)) {
        root = fill(base, { port: String(node.port), kind: node.kind, name: encodeURIComponent(node.name) });
      } else {
        const url = new URL(base);
        url.port = String(node.port);
        root = url.toString();
      }
    } else {
      root = `http://${DEFAULT_HOST}:${node.port}`;
      remote = false;
    }
    const url = new URL(root);
    if (tls) url.protocol = 'https:';
    root = url.toString().replace(/\/+$/, '');
    return { root, api: `${root}/${node.kind}/${encodeURIComponent(node.name)}`, remote, tls };
  }

  /** How messages say where a node is: "on port 8100" locally, "at URL" otherwise. */
  where(node: NodePlan): string {
    const endpoint = this.of(node);
    return endpoint.remote ? `at ${endpoint.root}` : `on port ${node.port}`;
  }

  /** "hub hank on port 8100", "client carol at https://carol.dske.svc:8105". */
  describe(node: NodePlan): string {
    return `${describeNode(node)} ${this.where(node)}`;
  }

  /** TLS options for a request to `node` (undefined over plain HTTP); `sae` presents that encryptor's certificate. */
  tlsFor(node: NodePlan, sae?: string): TlsOptions | undefined {
    const files = this.credentials ?? this.pki;
    if (files === undefined || !this.of(node).tls) return undefined;
    return sae === undefined ? files.trust() : files.identity(sae);
  }

  /** Headers for a node's mgmt API: its own token with --credentials, else DSKE_MGMT_TOKEN when the nodes were started with one. */
  mgmtHeaders(node: NodePlan, env: NodeJS.ProcessEnv): Record<string, string> {
    const token = this.credentials?.mgmtToken(node) ?? env[MGMT_TOKEN_ENV];
    return token ? { authorization: `Bearer ${token}` } : {};
  }
}
