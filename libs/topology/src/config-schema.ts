/** The keys a topology file may hold, and which setting rule judges each value. */
import { CLIENT_SETTINGS, HUB_SETTINGS, settingSpec, TOPOLOGY_DEFAULTS, type SettingSpec } from './settings';

export type IntegerSettingKey = keyof typeof TOPOLOGY_DEFAULTS;

export const INTEGER_SETTING_KEYS = Object.keys(TOPOLOGY_DEFAULTS) as IntegerSettingKey[];

export const ROOT_KEYS: readonly string[] = [...INTEGER_SETTING_KEYS, 'allow_single_share', 'redis_url', 'tls_dir', 'hubs', 'clients'];
export const HUB_KEYS: readonly string[] = ['name'];
export const CLIENT_KEYS: readonly string[] = ['name', 'encryptors'];
export const ENCRYPTOR_KEYS: readonly string[] = ['name'];

export const REDIS_URL_SPEC: SettingSpec = settingSpec(HUB_SETTINGS, 'redis_url');

export function isIntegerSettingKey(key: string): key is IntegerSettingKey {
  return (INTEGER_SETTING_KEYS as string[]).includes(key);
}

/** base_port obeys the node port rule; every other number is the node setting of the same name. */
export function integerSettingSpec(key: IntegerSettingKey): SettingSpec {
  return key === 'base_port' ? settingSpec(HUB_SETTINGS, 'port') : settingSpec([...HUB_SETTINGS, ...CLIENT_SETTINGS], key);
}
