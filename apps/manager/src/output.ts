/**
 * The exact wording of every progress line and header, in one place: the
 * user guide shows these lines and users (and tests) match them literally.
 */
import type { ClientPlan, NodePlan } from '@dske/topology';
import { describeNode } from './selection';

export const startingLine = (node: NodePlan): string => `Starting ${describeNode(node)} on port ${node.port}`;
export const stoppingLine = (node: NodePlan): string => `Stopping ${describeNode(node)} on port ${node.port}`;
export const statusHeader = (node: NodePlan): string => `Status for ${describeNode(node)} on port ${node.port}`;

/** `what` is a selection label ("all nodes", "client carol, hub hank") or a list of nodes. */
export const waitingLine = (what: string, state: 'started' | 'stopped'): string => `Waiting for ${what} to be ${state}`;
export const stillWaitingLine = (what: string, state: 'started' | 'stopped'): string => `Still waiting for ${what} to be ${state}`;

export type EtsiApi = 'Get Key' | 'Get Key with Key IDs' | 'Status';

export interface EtsiCall {
  api: EtsiApi;
  /** The client (KME) that answers: the master's for Get Key and Status, the slave's for Get Key with Key IDs. */
  client: ClientPlan;
  master: string;
  slave: string;
}

export function etsiHeader(call: EtsiCall): string {
  return (
    `Invoke ETSI QKD ${call.api} API on client (KME) ${call.client.name} port ${call.client.port} ` +
    `master encryptor (SAE) ${call.master} slave encryptor (SAE) ${call.slave}:`
  );
}

/** JSON as the guide prints it (2-space indent), so `tail -n +2 | jq` works on it. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** A JSON body pretty-printed; anything else (an HTML error page, say) as received. */
export function prettyBody(text: string, json: unknown): string {
  return json === undefined ? text : prettyJson(json);
}
