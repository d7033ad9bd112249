/**
 * JSON messages between nodes, as PROTOCOL.md defines them. Byte strings
 * travel as standard base64.
 */
import type { Fragment } from './psrd/fragment';
import type { PoolStatus } from './psrd/pool';

export interface AllocationWire {
  fragments: Fragment[];
}

/** PUT /hub/{h}/dske/oob/v1/registration */
export interface RegistrationRequest {
  client_name: string;
  encryptor_names: string[];
  /**
   * The client confirms every hub-owned PSRD block it receives
   * (psrd-confirmation); the hub then allocates only from confirmed ones, so a
   * block whose answer was lost is never used. Absent: the reference's way.
   */
  psrd_confirmation?: boolean;
}

export interface PsrdConfirmationRequest {
  client_name: string;
  block_uuids: string[];
}
export interface RegistrationResponse {
  hub_name: string;
  /**
   * New at every registration. The hub's directory lists it too, so a client
   * told (unauthenticated) that the hub no longer knows it or its blocks can
   * check before it throws its PSRD away.
   */
  registration_id?: string;
  /**
   * This hub reads acknowledgements that ride on the client's next key-share
   * message (acknowledged_key_ids), so they need no message of their own.
   * Absent: send POST key-share-acks.
   */
  acks_in_requests?: boolean;
}

export interface DirectoryEntry {
  client_name: string;
  encryptor_names: string[];
  registration_id?: string;
}

/** GET /hub/{h}/dske/oob/v1/psrd?client_name=&pool_owner=client|hub&size= */
export type PsrdPoolOwnerParam = 'client' | 'hub';
export interface PsrdResponse {
  block_uuid: string;
  data: string;
}

/** POST /hub/{h}/dske/api/v1/key-share (signed) */
export interface PostKeyShareRequest {
  master_client_name: string;
  master_sae_id: string;
  slave_sae_id: string;
  user_key_id: string;
  share_index: number;
  encryption_key_allocation: AllocationWire;
  encrypted_share_value: string;
  /** Keys the client recovered since its last message to this hub (see RegistrationResponse.acks_in_requests). */
  acknowledged_key_ids?: string[];
}
export interface PostKeyShareResponse {
  hub_name: string;
  user_key_id: string;
}

/** GET /hub/{h}/dske/api/v1/key-share?client_name=&master_sae_id=&slave_sae_id=&key_id= (signed both ways) */
export interface GetKeyShareQuery {
  client_name: string;
  master_sae_id: string;
  slave_sae_id: string;
  key_id: string;
  /** Comma-separated: keys the client recovered since its last message to this hub. */
  acknowledged_key_ids?: string;
}
export interface GetKeyShareResponse {
  share_index: number;
  encryption_key_allocation: AllocationWire;
  encrypted_share_value: string;
}

/** JSON error body of hubs and clients (non-ETSI paths). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code?: string;
}

/** ETSI GS QKD 014 v1.1.1 data formats. */
export interface EtsiStatus {
  source_KME_ID: string;
  target_KME_ID: string;
  master_SAE_ID: string;
  slave_SAE_ID: string;
  key_size: number;
  stored_key_count: number;
  max_key_count: number;
  max_key_per_request: number;
  max_key_size: number;
  min_key_size: number;
  max_SAE_ID_count: number;
  status_extension?: Record<string, unknown>;
}
export interface EtsiKey {
  key_ID: string;
  key: string;
  key_ID_extension?: Record<string, unknown>;
  key_extension?: Record<string, unknown>;
}
export interface EtsiKeyContainer {
  keys: EtsiKey[];
  key_container_extension?: Record<string, unknown>;
}
export interface EtsiKeyRequest {
  number?: number;
  size?: number;
  additional_slave_SAE_IDs?: string[];
  extension_mandatory?: Record<string, unknown>[];
  extension_optional?: Record<string, unknown>[];
}
export interface EtsiKeyIds {
  key_IDs: { key_ID: string; key_ID_extension?: Record<string, unknown> }[];
  key_IDs_extension?: Record<string, unknown>;
}
export interface EtsiError {
  message: string;
  details?: Record<string, unknown>[];
}

/** GET /hub/{h}/mgmt/v1/status */
export interface HubStatus {
  name: string;
  peer_clients: {
    client_name: string;
    encryptor_names: string[];
    local_pool: PoolStatus;
    peer_pool: PoolStatus;
  }[];
  /** user_key_id only in lab mode (PSRD previews shown). */
  shares: { user_key_id?: string; master_client_name: string; master_sae_id: string; slave_sae_id: string; share_index: number; size: number }[];
}

/** GET /client/{c}/mgmt/v1/status */
export interface ClientStatus {
  name: string;
  encryptor_names: string[];
  peer_hubs: {
    hub_name: string;
    hub_url: string;
    registered: boolean;
    /** False after the last call to the hub got no answer. */
    reachable: boolean;
    local_pool: PoolStatus;
    peer_pool: PoolStatus;
  }[];
}
