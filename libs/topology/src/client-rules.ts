/**
 * Rules that relate client settings to each other. The config loader and the
 * client CLI both apply them, each naming settings its own way (config key or
 * flag), so a topology that loads always starts.
 */
import { CLIENT_SETTINGS, MAX_HUBS, MAX_PSRD_BLOCK_SIZE, SettingError, settingSpec } from './settings';

export interface ClientSettingValues {
  min_nr_shares: number;
  start_request_psrd_threshold: number;
  stop_request_psrd_threshold: number;
  get_psrd_block_size: number;
  /** Lab only: min_nr_shares 1, where every share is the whole key. */
  allow_single_share?: boolean;
}

export type ClientRuleKey = Exclude<keyof ClientSettingValues, 'allow_single_share'> | 'hubs' | 'allow_single_share';

export interface ClientRuleProblem {
  key: Exclude<ClientRuleKey, 'allow_single_share'>;
  /** Starts with the offending value, so a caller can prefix "the default". */
  reason: string;
}

const INTEGER_KEYS = ['min_nr_shares', 'start_request_psrd_threshold', 'stop_request_psrd_threshold', 'get_psrd_block_size'] as const;

/** Every broken rule, in this order (one per setting at most). `nameOf` spells another setting's name inside a reason. */
export function clientRuleProblems(values: ClientSettingValues, hubCount: number, nameOf: (key: ClientRuleKey) => string): ClientRuleProblem[] {
  // Written as a negation so NaN fails too; the rules below need positive integers.
  const notPositive = INTEGER_KEYS.filter((key) => !(Number.isSafeInteger(values[key]) && values[key] >= 1));
  if (notPositive.length > 0) return notPositive.map((key) => ({ key, reason: `${values[key]} is not a positive integer` }));
  const { min_nr_shares: k, start_request_psrd_threshold: start, stop_request_psrd_threshold: stop } = values;
  const problems: ClientRuleProblem[] = [];
  if (hubCount > MAX_HUBS) problems.push({ key: 'hubs', reason: `${hubCount} hubs, but at most ${MAX_HUBS} are supported (one Shamir share per hub)` });
  if (k > MAX_HUBS) problems.push({ key: 'min_nr_shares', reason: `${k} is more than ${MAX_HUBS}, the most shares a key is split into` });
  else if (k > hubCount) problems.push({ key: 'min_nr_shares', reason: `${k} is more than the number of hubs (${hubCount})` });
  // With k = 1 every share is the key itself: each hub would see every key.
  else if (k === 1 && values.allow_single_share !== true) {
    problems.push({ key: 'min_nr_shares', reason: `1 gives every hub the whole key (each share is the key itself); that is for a lab only: set ${nameOf('allow_single_share')} to allow it` });
  }
  if (start >= stop) problems.push({ key: 'start_request_psrd_threshold', reason: `${start} must be less than ${nameOf('stop_request_psrd_threshold')} (${stop})` });
  if (values.get_psrd_block_size > MAX_PSRD_BLOCK_SIZE) {
    problems.push({ key: 'get_psrd_block_size', reason: `${values.get_psrd_block_size} is more than the maximum ${MAX_PSRD_BLOCK_SIZE} (1 MiB)` });
  }
  return problems;
}

/** The first broken rule, or undefined. */
export function clientRuleProblem(values: ClientSettingValues, hubCount: number, nameOf: (key: ClientRuleKey) => string): ClientRuleProblem | undefined {
  return clientRuleProblems(values, hubCount, nameOf)[0];
}

/** Throws SettingError (naming the flag) for client settings that cannot work together. */
export function validateClientSettings(settings: ClientSettingValues & { hubs: readonly string[] }): void {
  const flagOf = (key: ClientRuleKey): string => (key === 'allow_single_share' ? '--allow-single-share yes' : settingSpec(CLIENT_SETTINGS, key).flag);
  const problem = clientRuleProblem(settings, settings.hubs.length, flagOf);
  if (problem !== undefined) throw new SettingError(flagOf(problem.key), problem.reason);
}
