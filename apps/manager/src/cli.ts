/**
 * The command line: commander 14 with the user guide's wording. Global
 * options come before the subcommand (as with manager.py); etsi-qkd takes two
 * SAE IDs and then an operation, which commander cannot model directly (a
 * command with both arguments and subcommands), so etsi-qkd passes its
 * arguments through to a second small program of operations.
 */
import { Command, Option } from 'commander';
import { DEFAULT_CONFIG_FILE, DEFAULT_IMAGE, DEFAULT_NAMESPACE, type DeployTarget } from '@dske/topology';
import { etsiCommand, type EtsiOperation } from './commands/etsi-qkd';
import { DEPLOY_TARGETS, generateCommand, parseImage, parseNamespace, type GenerateOptions } from './commands/generate';
import { startCommand, type StartOptions } from './commands/start';
import { DEFAULT_DASHBOARD_HOST, DEFAULT_DASHBOARD_PORT, dashboardCommand, parseDashboardHost, parseDashboardPort, type DashboardControl, type DashboardOptions } from './commands/dashboard';
import { statusCommand } from './commands/status';
import { stopCommand } from './commands/stop';
import { resetCommand } from './commands/reset';
import { DEFAULT_TLS_DIR, parseHost, tlsCreateCommand, type TlsCreateOptions } from './commands/tls';
import { DEFAULT_PROVISION_DIR, parseOwner, provisionCommand, type ProvisionOptions } from './commands/provision';
import { loadContext, type GlobalOptions } from './context';
import { parseNodeUrl, parseUrlBase } from './endpoints';
import { UsageError } from './errors';
import { useArgparseHelp } from './help-format';
import type { ManagerIo } from './io';
import { STATE_DIR } from './node-processes';
import { DEFAULT_PORT_WAIT_SECS, DEFAULT_READY_WAIT_SECS, PORT_WAIT_ENV, READY_WAIT_ENV } from './timings';

export const PROGRAM = 'manager';
const COMMANDS = ['start', 'stop', 'status', 'dashboard', 'reset', 'etsi-qkd', 'generate', 'provision', 'tls'];
const OPERATIONS = ['get-key', 'get-key-with-key-ids', 'get-key-pair', 'get-status'];

export const MAIN_EPILOG = `\
Nodes start in topology order (hubs, then clients) and stop in reverse order.
Each node is a detached \`node\` process; its output goes to KIND-NAME.out and
its PID to ${STATE_DIR}/KIND-NAME.pid, both in the current directory: run
stop and status from the directory where you ran start.

Each node keeps its state (registrations, PSRD pools with their used bytes,
a hub's undelivered shares, its storage key) in ${STATE_DIR}/state/KIND-NAME/,
so a node that is stopped, killed or crashes resumes where it was at the next
start, without registering again or fetching PSRD anew. reset wipes that
state for the selected nodes (refused while one runs); start --fresh resets,
then starts.

start waits until the nodes' ports are free, starts the hubs, then (once
they answer /readyz) the clients, and waits until every node answers /readyz. If a node exits or is not ready in time, start stops the nodes it
started in this run and fails. stop asks each node to stop (mgmt API); a node
that does not answer is reported, and ended by PID (SIGTERM, then SIGKILL) if
it still runs the command this manager started. A local node that is not
running is reported and counts as stopped; stop fails if a node refused to
stop or could not be ended. --client and --hub may be
repeated and combined; an unknown name is an error and nothing is done.

A deployed topology (docker compose, Kubernetes): with --url-base URL, status,
stop and etsi-qkd reach each node at URL:PORT/KIND/NAME (PORT from the port
plan), e.g. --url-base http://127.0.0.1 for compose's published ports, or
after \`kubectl port-forward svc/NAME PORT:PORT\` for every node. A URL with
{port}, {kind} or {name} is a template filled in per node, e.g.
--url-base 'http://{name}.dske.svc:{port}'. --node-url NAME=URL reaches node
NAME at URL/KIND/NAME instead (repeatable). Such nodes are only asked to
stop; stop then waits until they no longer answer (no local ports or PIDs).
start only starts local processes and refuses both options.

With tls_dir in the topology ('${PROGRAM} tls create' writes the files),
clients serve HTTPS: the manager checks their certificates against ca.crt,
and etsi-qkd presents the encryptor's certificate (sae-SAE.crt) instead of
the lab mode's Authorization header. Hubs stay on HTTP.

A secure deployment (the generated compose and Kubernetes files without
--lab): --credentials DIR names the operator's credentials that
'${PROGRAM} provision' wrote (DIR/ca.crt, sae-SAE.crt/.key, mgmt-KIND-NAME.token).
Every node is then reached over HTTPS and checked against DIR/ca.crt, status
and stop send each node its own mgmt token, and etsi-qkd presents the
encryptor's certificate.

environment:
  ${PORT_WAIT_ENV}   seconds start and stop wait for free ports (default: ${DEFAULT_PORT_WAIT_SECS})
  ${READY_WAIT_ENV}  seconds start waits for nodes to be ready (default: ${DEFAULT_READY_WAIT_SECS})

exit status: 0 on success, 1 on failure, 2 on a command-line error.`;

export const GENERATE_EPILOG = `\
Files are written relative to the current directory and overwritten;
generated files of deploy/k8s that the topology no longer gives are removed.
Each file's header names the topology file and the command that regenerates
it. Nothing is written when the topology file is invalid. --check writes
nothing and fails (exit status 1) listing the files that differ.`;

export const TLS_EPILOG = `\
The files: ca.crt and ca.key (the lab CA), kme-CLIENT.crt/.key (each client's
server certificate, for its name, localhost, 127.0.0.1 and every --host) and
sae-SAE.crt/.key (each encryptor's client certificate, its SAE ID in the
subject CN). Keys are written with mode 0600. Existing files are replaced
only with --force. With tls_dir in the topology, start gives the clients
these files and they serve the ETSI API over mutual TLS; restart the
clients after replacing them. A lab PKI is for testing, not for production.`;

/** Repeatable options collect into a list. */
const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** --size: a positive whole number of bits (the client checks the ETSI limits). */
export function parseSize(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--size: expected a positive integer number of bits, got '${value}'`);
  }
  return Number(value);
}

export interface CliOptions {
  start?: StartOptions;
  dashboard?: DashboardControl;
}

export const DASHBOARD_EPILOG = `\
The page shows the hubs and clients as a graph, live (pushed once a second):
a node that does not answer its mgmt status is drawn as down; on each
client-hub edge two bars show the unused bytes of the pool the client
allocates from (C) and of the one the hub allocates from (H), against the
start and stop thresholds of the topology, so a refill is seen as it
happens. Per client: keys made and delivered per second, its encryptors and
its latest ETSI errors; per hub: the shares it holds and how many expired.
Click a node for its raw mgmt status (PSRD previews only where the node shows
them, in lab mode) and its /docs and /redoc. Everything the page loads comes
from the manager; it works without internet access.

Nodes are reached as status reaches them: local processes, or --url-base,
--node-url and --credentials for a deployment. The page is read-only. It
listens on 127.0.0.1 unless --host says otherwise; whoever reaches it sees
every node's status, asked with this manager's credentials.`;

/** Shared by both programs: errors and help go through ManagerIo; nothing calls process.exit. */
function configure(cmd: Command, io: ManagerIo): Command {
  return cmd
    .helpCommand(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, '')),
      writeErr: (text) => io.err(text.replace(/\n$/, '')),
      // commander says "error: unknown option '--x'"; keep it one line, prefixed like every other error.
      outputError: (text, write) => write(`${PROGRAM}: ${text.trim().split('\n')[0]}\n`),
    });
}

/** A command made of subcommands (generate, tls): a missing or unknown one is a one-line usage error. */
function group(parent: Command, io: ManagerIo, name: string, description: string): Command {
  return configure(parent.command(name), io)
    .description(description)
    .allowExcessArguments()
    .action((_opts, self: Command) => {
      const choices = self.commands.map((c) => c.name()).join(', ');
      const given = self.args[0];
      throw new UsageError(given === undefined ? `${name}: missing command (choose from ${choices})` : `${name}: invalid command '${given}' (choose from ${choices})`);
    });
}

/** Options of the program that a command cannot use, named in one usage error. */
function refuseOptions(command: string, opts: GlobalOptions, which: ReadonlyArray<'filters' | 'addresses'>, why: string): void {
  const given: string[] = [];
  if (which.includes('filters')) {
    if ((opts.client ?? []).length > 0) given.push('--client');
    if ((opts.hub ?? []).length > 0) given.push('--hub');
  }
  if (which.includes('addresses')) {
    if (opts.urlBase !== undefined) given.push('--url-base');
    if ((opts.nodeUrl ?? []).length > 0) given.push('--node-url');
    if (opts.credentials !== undefined) given.push('--credentials');
  }
  if (given.length > 0) throw new UsageError(`${command} does not take ${given.join(' or ')}: ${why}`);
}

export function buildProgram(io: ManagerIo, options: CliOptions = {}): Command {
  const program = configure(new Command(PROGRAM), io)
    .description('DSKE Manager')
    .enablePositionalOptions()
    .allowExcessArguments()
    .addOption(new Option('--config <CONFIG_FILE>', `Configuration file name (default: ${DEFAULT_CONFIG_FILE})`))
    .addOption(new Option('--client <CLIENT>', 'Filter on client name').argParser(collect).default([]))
    .addOption(new Option('--hub <HUB>', 'Filter on hub name').argParser(collect).default([]))
    .addOption(new Option('--url-base <URL>', 'Reach deployed nodes at URL:PORT, or a {port}/{kind}/{name} template').argParser(parseUrlBase))
    .addOption(new Option('--node-url <NAME=URL>', 'Reach node NAME at URL (repeatable; over --url-base)').argParser(parseNodeUrl).default([]))
    .addOption(new Option('--credentials <DIR>', "Operator credentials of a secure deployment (from provision)"))
    .action((_opts, cmd: Command) => {
      const given = cmd.args[0];
      throw new UsageError(given === undefined ? `missing command (choose from ${COMMANDS.join(', ')})` : `invalid command '${given}' (choose from ${COMMANDS.join(', ')})`);
    });
  useArgparseHelp(program, {
    usage: `${PROGRAM} [-h] [--config CONFIG_FILE] [--client CLIENT] [--hub HUB] [--url-base URL] [--node-url NAME=URL] [--credentials DIR] {${COMMANDS.join(',')}} ...`,
    epilog: MAIN_EPILOG,
  });
  const globals = () => program.opts<GlobalOptions>();
  const context = () => loadContext(globals(), io);

  const simple = (name: string, description: string, run: () => Promise<void>) =>
    useArgparseHelp(configure(program.command(name), io).description(description).action(run), { usage: `${PROGRAM} ${name} [-h]` });
  useArgparseHelp(
    configure(program.command('start'), io)
      .description('Start all hubs and clients')
      .addOption(new Option('--fresh', 'Reset the nodes first: start without the state of an earlier run'))
      .action(async (opts: { fresh?: boolean }) => {
        refuseOptions('start', globals(), ['addresses'], 'it starts local node processes (status, stop and etsi-qkd take them)');
        const ctx = context();
        if (opts.fresh) await resetCommand(ctx);
        return startCommand(ctx, options.start);
      }),
    { usage: `${PROGRAM} start [-h] [--fresh]` },
  );
  simple('stop', 'Stop all hubs and clients', () => stopCommand(context()));
  simple('status', 'Report status for all hubs and clients', () => statusCommand(context()));
  useArgparseHelp(
    configure(program.command('dashboard'), io)
      .description('Serve a live web page of the topology: nodes up or down, pools, keys, shares')
      .addOption(new Option('--port <PORT>', `Port of the page (default: ${DEFAULT_DASHBOARD_PORT}; 0: any free port)`).argParser(parseDashboardPort).default(DEFAULT_DASHBOARD_PORT))
      .addOption(new Option('--host <HOST>', `Address to listen on (default: ${DEFAULT_DASHBOARD_HOST})`).argParser(parseDashboardHost).default(DEFAULT_DASHBOARD_HOST))
      .action((opts: DashboardOptions) => {
        refuseOptions('dashboard', globals(), ['filters'], 'it shows the whole topology');
        return dashboardCommand(context(), opts, options.dashboard);
      }),
    { usage: `${PROGRAM} dashboard [-h] [--port PORT] [--host HOST]`, epilog: DASHBOARD_EPILOG },
  );
  simple('reset', 'Wipe the state of stopped local nodes (registrations, PSRD, shares)', () => {
    refuseOptions('reset', globals(), ['addresses'], 'it wipes the state of local node processes');
    return resetCommand(context());
  });

  const operations = buildOperations(io);
  configure(program.command('etsi-qkd'), io)
    .description('ETSI QKD operations')
    .argument('[args...]')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => {
      const sae: string[] = [];
      let i = 0;
      for (; i < args.length && sae.length < 2; i++) {
        if (args[i] === '-h' || args[i] === '--help') return operations.outputHelp();
        if (args[i].startsWith('-')) throw new UsageError(`etsi-qkd: unknown option '${args[i]}'`);
        sae.push(args[i]);
      }
      if (i === args.length) throw new UsageError(`etsi-qkd: expected master_sae_id slave_sae_id {${OPERATIONS.join(',')}}`);
      const operation = await parseOperation(operations, args.slice(i));
      if (operation !== undefined) await etsiCommand(context(), sae[0], sae[1], operation);
    });

  addGenerate(program, io, globals, context);
  addProvision(program, io, globals, context);
  addTls(program, io, globals, context);
  return program;
}

type Globals = () => GlobalOptions;
type Context = () => ReturnType<typeof loadContext>;

function addGenerate(program: Command, io: ManagerIo, globals: Globals, context: Context): void {
  const generate = group(program, io, 'generate', 'Generate deployment files from the topology');
  useArgparseHelp(generate, { usage: `${PROGRAM} generate [-h] {${DEPLOY_TARGETS.join(',')}} ...`, epilog: GENERATE_EPILOG });
  const imageOption = () => new Option('--image <IMAGE>', `Image of the hub and client containers (default: ${DEFAULT_IMAGE})`).argParser(parseImage);
  const checkOption = () => new Option('--check', 'Write nothing; fail if the files differ from what the topology gives');
  const labOption = () => new Option('--lab', "Open lab files: plain HTTP, SAE named in a header, open mgmt and oob (default: secure)");
  const target = (name: DeployTarget, description: string, usage: string) =>
    useArgparseHelp(
      configure(generate.command(name), io)
        .description(description)
        .action((opts: GenerateOptions) => {
          refuseOptions(`generate ${name}`, globals(), ['filters', 'addresses'], 'it covers the whole topology');
          return generateCommand(context(), name, opts);
        }),
      { usage: `${PROGRAM} generate ${name} ${usage}`, epilog: GENERATE_EPILOG },
    );
  target('compose', 'Write docker-compose.generated.yml (docker compose up)', '[-h] [--image IMAGE] [--lab] [--check]').addOption(imageOption()).addOption(labOption()).addOption(checkOption());
  target('k8s', 'Write deploy/k8s/ (kubectl apply -k deploy/k8s)', '[-h] [--image IMAGE] [--namespace NAMESPACE] [--lab] [--check]')
    .addOption(imageOption())
    .addOption(new Option('--namespace <NAMESPACE>', `Kubernetes namespace (default: ${DEFAULT_NAMESPACE})`).argParser(parseNamespace))
    .addOption(labOption())
    .addOption(checkOption());
}

export const PROVISION_EPILOG = `\
Writes what is missing, never replaces a file: DIR/operator/ (ca.crt, ca.key,
sae-SAE.crt/.key per encryptor, mgmt-KIND-NAME.token per node) and one
directory per node, DIR/hub-NAME/ and DIR/client-NAME/, with that node's own
tls.crt/tls.key (for its name, localhost, 127.0.0.1 and every --host),
ca.crt and mgmt.token. Keys and tokens are mode 0600. The compose file's
provision service runs this at every 'up' into each node's own volume.
--k8s-secrets prints the Namespace and one Secret per node on stdout (the
messages go to stderr): ${PROGRAM} provision --k8s-secrets | kubectl apply -f -`;

function addProvision(program: Command, io: ManagerIo, globals: Globals, context: Context): void {
  useArgparseHelp(
    configure(program.command('provision'), io)
      .description('Credentials of a secure deployment: a CA, node certificates, mgmt tokens')
      .addOption(new Option('--dir <DIR>', `Directory for the files (default: ${DEFAULT_PROVISION_DIR} next to CONFIG_FILE)`))
      .addOption(new Option('--host <HOST>', "Another name or IPv4 address in the nodes' certificates (repeatable)").argParser(parseHost).default([]))
      .addOption(new Option('--owner <UID:GID>', 'Give the node directories to this user (containers run as 1000:1000)').argParser(parseOwner))
      .addOption(new Option('--k8s-secrets', 'Print a Kubernetes Secret per node (and the Namespace) for kubectl apply -f -'))
      .addOption(new Option('--namespace <NAMESPACE>', `Namespace of the Secrets (default: ${DEFAULT_NAMESPACE})`).argParser(parseNamespace))
      .action((opts: ProvisionOptions) => {
        refuseOptions('provision', globals(), ['filters', 'addresses'], 'it covers the whole topology');
        return provisionCommand(context(), opts);
      }),
    { usage: `${PROGRAM} provision [-h] [--dir DIR] [--host HOST] [--owner UID:GID] [--k8s-secrets] [--namespace NAMESPACE]`, epilog: PROVISION_EPILOG },
  );
}

function addTls(program: Command, io: ManagerIo, globals: Globals, context: Context): void {
  const tls = group(program, io, 'tls', 'Lab PKI for mutual TLS');
  useArgparseHelp(tls, { usage: `${PROGRAM} tls [-h] {create} ...` });
  useArgparseHelp(
    configure(tls.command('create'), io)
      .description('Create a lab CA and certificates for every client (KME) and encryptor (SAE)')
      .addOption(new Option('--dir <DIR>', `Directory for the files (default: the topology's tls_dir, else ${DEFAULT_TLS_DIR} next to CONFIG_FILE)`))
      .addOption(new Option('--host <HOST>', "Another name or IPv4 address in the clients' certificates (repeatable)").argParser(parseHost).default([]))
      .addOption(new Option('--force', 'Replace existing files'))
      .action((opts: TlsCreateOptions) => {
        refuseOptions('tls create', globals(), ['filters', 'addresses'], 'it covers the whole topology');
        return tlsCreateCommand(context(), opts);
      }),
    { usage: `${PROGRAM} tls create [-h] [--dir DIR] [--host HOST] [--force]`, epilog: TLS_EPILOG },
  );
}

/** The etsi-qkd operations; parsing resolves to the chosen one (undefined after --help). */
function buildOperations(io: ManagerIo): Command {
  const prefix = `${PROGRAM} etsi-qkd master_sae_id slave_sae_id`;
  const operations = configure(new Command(`${PROGRAM} etsi-qkd`), io).description('ETSI QKD operations');
  useArgparseHelp(operations, {
    usage: `${PROGRAM} etsi-qkd [-h] master_sae_id slave_sae_id {${OPERATIONS.join(',')}} ...`,
    positionals: [
      ['master_sae_id', 'Master encryptor (SAE) ID'],
      ['slave_sae_id', 'Slave encryptor (SAE) ID'],
    ],
  });
  const sizeOption = () => new Option('--size <SIZE>', 'Key size in bits').argParser(parseSize);
  const operation = (name: string, description: string, usage: string) =>
    useArgparseHelp(configure(operations.command(name), io).description(description), { usage: `${prefix} ${name} ${usage}` });
  operation('get-key', 'Invoke ETSI QKD Get Key API (on the master SAE\'s client)', '[-h] [--size SIZE]').addOption(sizeOption());
  operation('get-key-with-key-ids', 'Invoke ETSI QKD Get Key with Key IDs API (on the slave SAE\'s client)', '[-h] key_id').argument('<key_id>', 'Key ID');
  operation('get-key-pair', 'Get Key, then Get Key with Key IDs; check the key values match', '[-h] [--size SIZE]').addOption(sizeOption());
  operation('get-status', 'Invoke ETSI QKD Status API (on the master SAE\'s client)', '[-h]');
  return operations;
}

async function parseOperation(operations: Command, args: string[]): Promise<EtsiOperation | undefined> {
  let chosen: EtsiOperation | undefined;
  const on = (name: string, pick: (cmd: Command) => EtsiOperation) => {
    const cmd = operations.commands.find((c) => c.name() === name);
    cmd?.action((...params: unknown[]) => {
      chosen = pick(params[params.length - 1] as Command);
    });
  };
  on('get-key', (cmd) => ({ op: 'get-key', size: cmd.opts<{ size?: number }>().size }));
  on('get-key-with-key-ids', (cmd) => ({ op: 'get-key-with-key-ids', keyId: cmd.args[0] }));
  on('get-key-pair', (cmd) => ({ op: 'get-key-pair', size: cmd.opts<{ size?: number }>().size }));
  on('get-status', () => ({ op: 'get-status' }));
  await operations.parseAsync(args, { from: 'user' });
  return chosen;
}
