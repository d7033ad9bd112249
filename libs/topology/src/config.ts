import { dirname, resolve } from 'node:path';
/** Loads and validates dske-config.yaml; nothing starts unless the whole file is valid. */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import { clientRuleProblems } from './client-rules';
import {
  CLIENT_KEYS,
  ENCRYPTOR_KEYS,
  HUB_KEYS,
  integerSettingSpec,
  isIntegerSettingKey,
  REDIS_URL_SPEC,
  ROOT_KEYS,
  type IntegerSettingKey,
} from './config-schema';
import { isValidName, NAME_RULE } from './names';
import { planTopology, type ClientSource, type Topology, type TopologySettings } from './plan';
import { integerBounds, integerExpectation, isAcceptedUrl, isIntegerInBounds, urlExpectation } from './rules';
import { MAX_PORT, TOPOLOGY_DEFAULTS } from './settings';
import { hubRedisUrl, sharedStoreProblem } from './redis-url';
import { quote, redactUrl } from './text';
import { TopologyError } from './topology-error';
import { YamlReader, type Entry } from './yaml-reader';

export function loadTopology(file: string): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TopologyError({ file, code: 'unreadable-file', reason: `cannot read the topology file (${fsReason(error)})` });
  }
  return parseTopology(text, file);
}

function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return String((error as Error).message).split('\n')[0];
}

export function parseTopology(text: string, file: string): Topology {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const reader: YamlReader = new YamlReader(file, lines);
  // Past a syntax error the document is a guess: report every syntax error, and nothing else.
  for (const syntax of doc.errors) {
    reader.record(reader.lineAt(syntax.pos[0]), undefined, 'yaml-syntax', `invalid YAML: ${syntax.message.split('\n')[0]}`);
  }
  reader.throwIfAny();
  const root: unknown = doc.contents;
  if (root === null) {
    throw new TopologyError({ file, code: 'empty-file', reason: 'the file is empty; expected a mapping with hubs and clients' });
  }
  const rootLine = reader.lineOf(root) ?? 1;
  const top = reader.value(root, rootLine, undefined);
  if (!isMap(top)) {
    reader.fail(rootLine, undefined, 'not-a-mapping', `expected a mapping with hubs and clients at the top level, got ${reader.describe(root)}`);
  }
  return new TopologyReader(reader).read(top, rootLine);
}

interface NamedItem {
  name: string;
  nameEntry: Entry;
  entries: Entry[];
}

interface NameUse {
  kind: 'hub' | 'client';
  line: number;
}

/**
 * One pass over the document in file order. Each setting, hub, client and
 * encryptor is read on its own, so one bad entry does not hide the next: every
 * problem of the file is reported at once, sorted by line. The rules that
 * relate several settings are checked only once each setting is valid, so a
 * bad value is not reported a second time as a clash.
 */
class TopologyReader {
  private readonly given = new Map<IntegerSettingKey, { value: number; line: number }>();
  private redisUrl: { template: string; line: number } | undefined;
  private tlsDir: string | undefined;
  private allowSingleShare: boolean | undefined;
  /** `count`: the items of the list, also those that are not valid (the rules count hubs, not valid names). */
  private hubs: { names: string[]; line: number; count: number } | undefined;
  private clients: { list: ClientSource[]; line: number; count: number } | undefined;
  /** Top-level keys with a problem of their own, or in one of their items. */
  private readonly faulty = new Set<string>();
  private readonly nodeNames = new Map<string, NameUse>();
  private readonly encryptorOwners = new Map<string, string>();

  constructor(private readonly r: YamlReader) {}

  read(root: YAMLMap, rootLine: number): Topology {
    const present = new Set<string>();
    for (const entry of this.r.entries(root, '', ROOT_KEYS)) {
      present.add(entry.key);
      const problemsBefore = this.r.problemCount;
      this.r.collect(() => {
        if (entry.key === 'hubs') this.hubs = this.readHubs(entry);
        else if (entry.key === 'clients') this.clients = this.readClients(entry);
        else if (entry.key === 'redis_url') this.redisUrl = { template: this.readRedisUrl(entry), line: entry.line };
        else if (entry.key === 'tls_dir') this.tlsDir = this.readTlsDir(entry);
        else if (entry.key === 'allow_single_share') this.allowSingleShare = this.readBoolean(entry);
        else if (isIntegerSettingKey(entry.key)) this.given.set(entry.key, { value: this.readInteger(entry, entry.key), line: entry.line });
      });
      if (this.r.problemCount > problemsBefore) this.faulty.add(entry.key);
    }
    if (!present.has('hubs')) this.r.record(rootLine, 'hubs', 'missing-key', 'required key missing (a list of hubs)');
    if (!present.has('clients')) {
      this.r.record(rootLine, 'clients', 'missing-key', "required key missing (a list of clients, possibly empty: 'clients: []')");
    }
    // The rules that relate settings, each once every setting it involves is valid (a bad value is reported once).
    const settings = this.settings();
    const { hubs, clients } = this;
    this.checkRules(settings, hubs, rootLine);
    if (hubs !== undefined && clients !== undefined && !this.faulty.has('base_port')) {
      this.r.collect(() => this.checkPorts(settings.base_port, hubs.count + clients.count, clients.line));
    }
    if (hubs !== undefined && !this.faulty.has('hubs')) this.r.collect(() => this.checkStores(hubs.names));
    this.r.throwIfAny();
    return planTopology(this.r.file, settings, (hubs as { names: string[] }).names, (clients as { list: ClientSource[] }).list);
  }

  private settings(): TopologySettings {
    const settings: TopologySettings = { ...TOPOLOGY_DEFAULTS };
    for (const [key, { value }] of this.given) settings[key] = value;
    if (this.redisUrl !== undefined) settings.redis_url = this.redisUrl.template;
    if (this.allowSingleShare === true) settings.allow_single_share = true;
    if (this.tlsDir !== undefined) settings.tls_dir = resolve(dirname(resolve(this.r.file)), this.tlsDir);
    return settings;
  }

  /** Each broken rule whose settings are all valid (a bad one stands in as its default here, and is reported already). */
  private checkRules(settings: TopologySettings, hubs: { line: number; count: number } | undefined, rootLine: number): void {
    const involves: Record<string, string[]> = {
      hubs: ['hubs'],
      min_nr_shares: ['min_nr_shares', 'allow_single_share', 'hubs'],
      start_request_psrd_threshold: ['start_request_psrd_threshold', 'stop_request_psrd_threshold'],
      get_psrd_block_size: ['get_psrd_block_size'],
    };
    // Without a readable list of hubs, nothing that counts them can be judged.
    const known = (key: string) => !this.faulty.has(key) && (key !== 'hubs' || hubs !== undefined);
    const problems = clientRuleProblems(settings, hubs?.count ?? 1, (key) => (key === 'allow_single_share' ? 'allow_single_share: true' : key));
    for (const problem of problems.filter((p) => involves[p.key].every(known))) {
      const given = problem.key === 'hubs' ? hubs : this.given.get(problem.key);
      // A rule broken by a default value points at the setting it clashes with.
      const clashLine = problem.key === 'min_nr_shares' ? hubs?.line : this.given.get('stop_request_psrd_threshold')?.line;
      this.r.record(
        given?.line ?? clashLine ?? rootLine,
        problem.key,
        problem.key === 'hubs' ? 'too-many-hubs' : 'inconsistent-settings',
        given === undefined ? `the default ${problem.reason}` : problem.reason,
      );
    }
  }

  private checkPorts(base: number, count: number, clientsLine: number): void {
    const last = base + count - 1;
    if (last <= MAX_PORT) return;
    const given = this.given.get('base_port');
    const value = given === undefined ? `the default ${base}` : String(base);
    this.r.fail(given?.line ?? clientsLine, 'base_port', 'port-range', `${value} leaves too few ports: ${count} nodes need ports ${base} to ${last}, beyond ${MAX_PORT}`);
  }

  /** Each hub its own store: every hub's URL must be one, and a redis_url that sends two hubs to one Redis server is refused. */
  private checkStores(hubNames: readonly string[]): void {
    if (this.redisUrl === undefined) return;
    const { template, line } = this.redisUrl;
    const hubs = hubNames.map((name, index) => ({ name, index }));
    for (const hub of hubs) {
      const url = hubRedisUrl(template, hub);
      if (!isAcceptedUrl(REDIS_URL_SPEC, url)) {
        this.r.fail(line, 'redis_url', 'invalid-value', `${quote(redactUrl(template))} gives hub ${hub.name} ${quote(redactUrl(url))}: ${urlExpectation(REDIS_URL_SPEC)} and a port up to 65535`);
      }
    }
    const problem = sharedStoreProblem(template, hubs);
    if (problem !== undefined) this.r.fail(this.redisUrl.line, 'redis_url', 'shared-store', `${quote(redactUrl(this.redisUrl.template))} ${problem}`);
  }

  private readInteger(entry: Entry, key: IntegerSettingKey): number {
    const bounds = integerBounds(integerSettingSpec(key));
    const value = this.r.value(entry.node, entry.line, entry.field);
    if (isIntegerInBounds(value, bounds)) return value;
    this.r.fail(entry.line, entry.field, typeof value === 'number' ? 'invalid-value' : 'wrong-type', `${integerExpectation(bounds)}, got ${this.r.describe(entry.node)}`);
  }

  private readBoolean(entry: Entry): boolean {
    const value = this.r.value(entry.node, entry.line, entry.field);
    if (typeof value === 'boolean') return value;
    this.r.fail(entry.line, entry.field, 'wrong-type', `expected true or false, got ${this.r.describe(entry.node)}`);
  }

  private readTlsDir(entry: Entry): string {
    const value = this.r.value(entry.node, entry.line, entry.field);
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    this.r.fail(entry.line, entry.field, typeof value === 'string' ? 'invalid-value' : 'wrong-type', `expected a directory path, got ${typeof value === 'string' ? quote(value) : this.r.describe(entry.node)}`);
  }

  private readRedisUrl(entry: Entry): string {
    const value = this.r.value(entry.node, entry.line, entry.field);
    // A template: judged as the URL it gives a hub ({name} and {index} filled in).
    if (typeof value === 'string' && isAcceptedUrl(REDIS_URL_SPEC, hubRedisUrl(value, { name: 'hank', index: 0 }))) return value;
    // The URL may carry a password, so credentials are masked before it is echoed.
    const got = typeof value === 'string' ? quote(redactUrl(value)) : this.r.describe(entry.node);
    this.r.fail(entry.line, entry.field, typeof value === 'string' ? 'invalid-value' : 'wrong-type', `${urlExpectation(REDIS_URL_SPEC)}, got ${got}`);
  }

  private list(entry: Entry, what: string, nullIsEmpty: boolean): unknown[] {
    const value = this.r.value(entry.node, entry.line, entry.field);
    if (value === null && nullIsEmpty) return [];
    if (!isSeq(value)) this.r.fail(entry.line, entry.field, 'wrong-type', `expected a list of ${what}, got ${this.r.describe(entry.node)}`);
    return value.items;
  }

  private readHubs(entry: Entry): { names: string[]; line: number; count: number } {
    const items = this.list(entry, 'hubs', false);
    if (items.length === 0) this.r.fail(entry.line, entry.field, 'no-hubs', 'at least one hub is required');
    const names = items.flatMap((item, i) => {
      const hub = this.r.collect(() => {
        const named = this.readNamed(item, `hubs[${i}]`, HUB_KEYS, 'hank', entry.line);
        this.claimNodeName(named.name, named.nameEntry, 'hub');
        return named.name;
      });
      return hub === undefined ? [] : [hub];
    });
    return { names, line: entry.line, count: items.length };
  }

  private readClients(entry: Entry): { list: ClientSource[]; line: number; count: number } {
    const items = this.list(entry, 'clients', false);
    const list = items.flatMap((item, i): ClientSource[] => {
      const client = this.r.collect(() => {
        const named = this.readNamed(item, `clients[${i}]`, CLIENT_KEYS, 'carol', entry.line);
        this.claimNodeName(named.name, named.nameEntry, 'client');
        return named;
      });
      if (client === undefined) return [];
      const encryptorsEntry = client.entries.find((e) => e.key === 'encryptors');
      const encryptors = encryptorsEntry === undefined ? [] : (this.r.collect(() => this.readEncryptors(encryptorsEntry, client.name)) ?? []);
      return [{ name: client.name, encryptors }];
    });
    return { list, line: entry.line, count: items.length };
  }

  /** An empty or null list (as well as no list) means a client that serves no SAE. */
  private readEncryptors(entry: Entry, client: string): string[] {
    return this.list(entry, 'encryptors', true).flatMap((item, j) => {
      const encryptor = this.r.collect(() => {
        const named = this.readNamed(item, `${entry.field}[${j}]`, ENCRYPTOR_KEYS, 'sam', entry.line);
        this.claimEncryptorName(named.name, named.nameEntry, client);
        return named.name;
      });
      return encryptor === undefined ? [] : [encryptor];
    });
  }

  /** A list item of the form {name: ..., ...}; `example` shows the expected shape in the error. */
  private readNamed(item: unknown, path: string, allowed: readonly string[], example: string, listLine: number): NamedItem {
    const line = this.r.lineOf(item) ?? listLine;
    const map = this.r.value(item, line, path);
    if (!isMap(map)) {
      this.r.fail(line, path, 'wrong-type', `expected a mapping with a name (like ${quote(`- name: ${example}`)}), got ${this.r.describe(item)}`);
    }
    const entries = this.r.entries(map, path, allowed);
    const nameEntry = entries.find((e) => e.key === 'name');
    if (nameEntry === undefined) this.r.fail(line, `${path}.name`, 'missing-key', 'required key missing');
    const name = this.r.value(nameEntry.node, nameEntry.line, nameEntry.field);
    if (typeof name !== 'string') this.r.fail(nameEntry.line, nameEntry.field, 'wrong-type', `expected a name, got ${this.r.describe(nameEntry.node)}`);
    if (!isValidName(name)) this.r.fail(nameEntry.line, nameEntry.field, 'invalid-name', `invalid name ${quote(name)} (${NAME_RULE})`);
    return { name, nameEntry, entries };
  }

  /** Hub and client names share one namespace: they share URL prefixes, service names and DNS. */
  private claimNodeName(name: string, entry: Entry, kind: NameUse['kind']): void {
    const earlier = this.nodeNames.get(name);
    if (earlier !== undefined) {
      this.r.fail(entry.line, entry.field, 'duplicate-name', `duplicate node name ${quote(name)} (already a ${earlier.kind} on line ${earlier.line})`);
    }
    this.nodeNames.set(name, { kind, line: entry.line });
  }

  /** An SAE ID must identify one client, or keys could not be routed; it may equal a node name (separate namespace). */
  private claimEncryptorName(name: string, entry: Entry, client: string): void {
    const owner = this.encryptorOwners.get(name);
    if (owner !== undefined) {
      this.r.fail(entry.line, entry.field, 'duplicate-encryptor', `duplicate encryptor name ${quote(name)} (already on client ${owner})`);
    }
    this.encryptorOwners.set(name, client);
  }
}
