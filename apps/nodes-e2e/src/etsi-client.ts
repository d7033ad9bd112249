import { httpJson, JsonResponse, TopologyHarness } from '@dske/test-support';

export interface KeyContainer {
  keys: Array<{ key_ID: string; key: string }>;
}
export interface EtsiErrorBody {
  message: string;
  details: Array<Record<string, unknown>>;
}

/** ETSI calls as an encryptor makes them (lab mode: the SAE ID as bearer token). */
export class EtsiCaller {
  constructor(private readonly topology: TopologyHarness) {}

  getKey(client: string, master: string, slave: string, query = ''): Promise<JsonResponse<KeyContainer & EtsiErrorBody>> {
    return httpJson('GET', `${this.topology.clientUrl(client)}/etsi/api/v1/keys/${slave}/enc_keys${query ? `?${query}` : ''}`, {
      headers: { authorization: `Bearer ${master}` },
    });
  }

  getKeyWithIds(client: string, master: string, slave: string, keyId: string): Promise<JsonResponse<KeyContainer & EtsiErrorBody>> {
    return httpJson('GET', `${this.topology.clientUrl(client)}/etsi/api/v1/keys/${master}/dec_keys?key_ID=${encodeURIComponent(keyId)}`, {
      headers: { authorization: `Bearer ${slave}` },
    });
  }
}
