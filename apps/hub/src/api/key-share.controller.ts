import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { SIGNATURE_HEADER } from '@dske/core';
import { Raw, RawMessage } from '@dske/service-runtime';
import { HUB_CONFIG, HubConfig } from '../hub-config';
import {
  ErrorDto, GetKeyShareQueryDto, GetKeyShareResponseDto, GetKeySharesQueryDto, GetKeySharesResponseDto, KeyShareAcksDto, KeyShareAcksResponseDto, PostKeyShareDto,
  PostKeyShareResponseDto, PostKeySharesDto, PostKeySharesResponseDto,
} from '../dto';
import { KeyShareService } from './key-share.service';
import { SignedReply } from './signed-reply';
import { Inject } from '@nestjs/common';

/** A comma-separated query value as a list (absent: none). */
const listed = (value: string | undefined): string[] => (value === undefined ? [] : value.split(','));

const signatureHeader = {
  name: SIGNATURE_HEADER,
  required: true,
  description: '<allocation uuid:start:size,...>%<base64 HMAC-SHA256 over the raw query string then the raw body>, keyed with 32 PSRD bytes from the client-allocated pool',
};

@ApiTags('api')
@Controller('dske/api/v1')
export class KeyShareController {
  constructor(
    private readonly shares: KeyShareService,
    private readonly signed: SignedReply,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  @Post('key-share')
  @HttpCode(200)
  @ApiOperation({ summary: 'Store one key share from the initiating client (signed request, signed response)' })
  @ApiHeader(signatureHeader)
  @ApiOkResponse({ type: PostKeyShareResponseDto, headers: { [SIGNATURE_HEADER]: { description: 'Hub signature over the response body' } } })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'Bad body, unknown client, malformed signature, bad allocation, SAE not served, key ID already stored' })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'Signature does not match' })
  async post(@Body() body: PostKeyShareDto, @Raw() raw: RawMessage, @Res({ passthrough: true }) response: unknown): Promise<string> {
    const { master_client_name, master_sae_id, slave_sae_id, acknowledged_key_ids, ...share } = body;
    const { signingKey, request } = await this.shares.accept(master_client_name, { master_sae_id, slave_sae_id }, [share], raw, acknowledged_key_ids);
    return this.signed.send(response, signingKey, { hub_name: this.config.name, user_key_id: body.user_key_id }, request);
  }

  @Get('key-share')
  @ApiOperation({ summary: 'Fetch (once) the share of a key for the responder\'s client, re-encrypted under the hub\'s pool' })
  @ApiHeader(signatureHeader)
  @ApiOkResponse({ type: GetKeyShareResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'Bad query, unknown client, malformed signature, unknown/expired/delivered key ID' })
  @ApiUnauthorizedResponse({ type: ErrorDto, description: 'The asking client does not serve the slave SAE, or the SAE pair differs' })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'Signature does not match' })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'The hub holds too little PSRD for this client (code psrd.exhausted); the client refills and retries' })
  async get(@Query() query: GetKeyShareQueryDto, @Raw() raw: RawMessage, @Res({ passthrough: true }) response: unknown): Promise<string> {
    const route = { master_sae_id: query.master_sae_id, slave_sae_id: query.slave_sae_id };
    const { shares, signingKey, request } = await this.shares.deliver(query.client_name, route, [query.key_id], raw, listed(query.acknowledged_key_ids));
    const { share_index, encryption_key_allocation, encrypted_share_value } = shares[0];
    return this.signed.send(response, signingKey, { share_index, encryption_key_allocation, encrypted_share_value }, request);
  }

  @Post('key-shares')
  @HttpCode(200)
  @ApiOperation({ summary: 'Store the shares of many keys for one SAE pair in one message (all or nothing; signed both ways)' })
  @ApiHeader(signatureHeader)
  @ApiOkResponse({ type: PostKeySharesResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'Signature does not match' })
  async postBatch(@Body() body: PostKeySharesDto, @Raw() raw: RawMessage, @Res({ passthrough: true }) response: unknown): Promise<string> {
    const route = { master_sae_id: body.master_sae_id, slave_sae_id: body.slave_sae_id };
    const { signingKey, request } = await this.shares.accept(body.master_client_name, route, body.shares, raw, body.acknowledged_key_ids);
    return this.signed.send(response, signingKey, { hub_name: this.config.name, user_key_ids: body.shares.map((s) => s.user_key_id) }, request);
  }

  @Get('key-shares')
  @ApiOperation({ summary: 'Fetch (once) the shares of many keys in one message (all or nothing; signed both ways)' })
  @ApiHeader(signatureHeader)
  @ApiOkResponse({ type: GetKeySharesResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  @ApiForbiddenResponse({ type: ErrorDto })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'psrd.exhausted: the client refills and retries' })
  async getBatch(@Query() query: GetKeySharesQueryDto, @Raw() raw: RawMessage, @Res({ passthrough: true }) response: unknown): Promise<string> {
    const route = { master_sae_id: query.master_sae_id, slave_sae_id: query.slave_sae_id };
    const { shares, signingKey, request } = await this.shares.deliver(query.client_name, route, query.key_ids.split(','), raw, listed(query.acknowledged_key_ids));
    return this.signed.send(response, signingKey, { shares }, request);
  }

  @Post('key-share-acks')
  @HttpCode(200)
  @ApiOperation({ summary: 'The responder\'s client recovered these keys: delete their shares here (signed both ways). Until then a fetched share stays, so a lost answer loses no key' })
  @ApiHeader(signatureHeader)
  @ApiOkResponse({ type: KeyShareAcksResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'Signature does not match' })
  async acknowledge(@Body() body: KeyShareAcksDto, @Raw() raw: RawMessage, @Res({ passthrough: true }) response: unknown): Promise<string> {
    const { signingKey, request, removed } = await this.shares.acknowledge(body.client_name, body.key_ids, raw);
    return this.signed.send(response, signingKey, { removed }, request);
  }
}
