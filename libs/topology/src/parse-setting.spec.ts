import { describe, expect, it } from 'vitest';
import { parseSettingValue } from './parse-setting';
import { CLIENT_SETTINGS } from './settings';

describe('path and choice settings', () => {
  const tlsCert = CLIENT_SETTINGS.find((s) => s.key === 'tls_cert')!;
  const saeIdFrom = CLIENT_SETTINGS.find((s) => s.key === 'tls_sae_id_from')!;

  it('takes any non-empty path', () => {
    expect(parseSettingValue(tlsCert, ' tls/kme carol.crt ')).toBe('tls/kme carol.crt');
    expect(() => parseSettingValue(tlsCert, '  ')).toThrow('--tls-cert: expected a file path, got an empty value');
  });

  it('takes only the listed choices', () => {
    expect(parseSettingValue(saeIdFrom, 'san')).toBe('san');
    expect(() => parseSettingValue(saeIdFrom, 'email')).toThrow("--tls-sae-id-from: expected one of cn, san, got 'email'");
  });
});
