import { Body, Controller, Get, HttpCode, Inject, Logger, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { PsrdBlock } from '@dske/core';
import { ApiError, NoQueryParams } from '@dske/service-runtime';
import { HUB_CONFIG, HubConfig } from '../hub-config';
import { PeerClientRegistry } from '../peers/peer-client-registry';
import { HubState } from '../state/hub-state';
import { HubMetrics } from '../metrics/hub-metrics';
import { OobClientGuard } from './oob-client.guard';
import { DirectoryDto, ErrorDto, PsrdConfirmationDto, PsrdConfirmationResponseDto, PsrdQueryDto, PsrdResponseDto, RegistrationDto, RegistrationResponseDto } from '../dto';

/** Out-of-band simulation: stands in for a courier with a tamper-proof disk. */
@ApiTags('oob')
@UseGuards(OobClientGuard)
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'HTTPS hub: no client certificate of the network CA (code oob.certificate-required)' })
@ApiForbiddenResponse({ type: ErrorDto, description: 'HTTPS hub: the certificate names another client than the request (code oob.wrong-client)' })
@Controller('dske/oob/v1')
export class OobController {
  private readonly logger = new Logger('Oob');

  constructor(
    private readonly registry: PeerClientRegistry,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly state: HubState,
    private readonly metrics: HubMetrics,
  ) {}

  @Put('registration')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register a client (idempotent; starts both PSRD pools for it afresh)' })
  @ApiOkResponse({ type: RegistrationResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'An encryptor is already registered by another client (code sae.taken)' })
  @ApiTooManyRequestsResponse({ type: ErrorDto, description: 'This hub registers no more clients (code clients.too-many)' })
  async register(@Body() body: RegistrationDto): Promise<RegistrationResponseDto> {
    const client = this.registry.register(body.client_name, body.encryptor_names, body.psrd_confirmation === true);
    // The registration (and the wiping of the one before) is in the state store before the client hears of it.
    await this.state.flush();
    this.logger.log(`Registered client ${body.client_name} with encryptors [${body.encryptor_names.join(', ')}]`);
    this.metrics.registrations.inc({ peer: client.name });
    return { hub_name: this.config.name, registration_id: client.registrationId, acks_in_requests: true };
  }

  @Get('psrd')
  @ApiOperation({ summary: 'Deliver a fresh block of pre-shared random data; the hub keeps its copy in the matching pool' })
  @ApiOkResponse({ type: PsrdResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'Unknown client or bad parameters' })
  @ApiTooManyRequestsResponse({ type: ErrorDto, description: 'The pool holds as much PSRD as this hub allows (code psrd.pool-full); nothing was added' })
  async psrd(@Query() query: PsrdQueryDto): Promise<PsrdResponseDto> {
    const client = this.registry.get(query.client_name);
    // pool_owner=client: the client allocates, so on the hub it is the peer pool.
    const held = query.pool_owner === 'client' ? { bytes: client.peerPool.unusedBytes, blocks: client.peerPool.blockCount } : client.hubOwnedHeld;
    const { maxPoolBytes, maxPoolBlocks } = this.config.limits;
    if (held.bytes + query.size > maxPoolBytes || held.blocks >= maxPoolBlocks) {
      throw new ApiError(429, 'psrd.pool-full', `the ${query.pool_owner}-owned pool of client ${client.name} holds ${held.bytes} unused bytes in ${held.blocks} blocks; at most ${maxPoolBytes} bytes and ${maxPoolBlocks} blocks`);
    }
    const block = PsrdBlock.random(query.size);
    const data = Buffer.from(block.read(0, block.size)).toString('base64');
    if (query.pool_owner === 'client') client.peerPool.addBlock(block);
    else client.addHubBlock(block);
    try {
      // Kept before it is handed out: a client never holds a block this hub could forget in a crash.
      await this.state.flush();
    } catch (error) {
      // Not kept, so not handed out: the block goes, or the hub could allocate from bytes the client never got.
      if (query.pool_owner === 'client') client.peerPool.discard(block.uuid);
      else client.discardHubBlock(block);
      throw error;
    }
    this.metrics.psrdBlocks.inc({ peer: client.name, owner: query.pool_owner });
    return { block_uuid: block.uuid, data };
  }

  @Post('psrd-confirmation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm hub-owned PSRD blocks the client holds (clients that registered with psrd_confirmation): only confirmed blocks are allocated from' })
  @ApiOkResponse({ type: PsrdConfirmationResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'Unknown client or bad body' })
  async confirmPsrd(@Body() body: PsrdConfirmationDto): Promise<PsrdConfirmationResponseDto> {
    const confirmed = this.registry.get(body.client_name).confirm(body.block_uuids);
    await this.state.flush();
    return { confirmed };
  }

  @Get('encryptors')
  @NoQueryParams()
  @ApiOperation({ summary: 'Which client serves which encryptor (SAE), as registered; clients use it to find the KME of a peer SAE' })
  @ApiOkResponse({ type: DirectoryDto })
  encryptors(): DirectoryDto {
    return { clients: this.registry.all().map((c) => ({ client_name: c.name, encryptor_names: [...c.encryptorNames], registration_id: c.registrationId })) };
  }
}
