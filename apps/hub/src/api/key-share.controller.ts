import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { SIGNATURE_HEADER } from '@dske/core';
import { Raw, RawMessage } from '@dske/service-runtime';
import { HUB_CONFIG, HubConfig } from '../hub-config';
import { ErrorDto, GetKeyShareQueryDto, GetKeyShareResponseDto, PostKeyShareDto, PostKeyShareResponseDto } from '../dto';
import { KeyShareService } from './key-share.service';
import { SignedReply } from './signed-reply';
import { Inject } from '@nestjs/common';

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
    const client = await this.shares.accept(body, raw);
    return this.signed.send(response, client.localPool, { hub_name: this.config.name, user_key_id: body.user_key_id });
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
    const { client, body } = await this.shares.deliver(query, raw);
    return this.signed.send(response, client.localPool, body);
  }
}
