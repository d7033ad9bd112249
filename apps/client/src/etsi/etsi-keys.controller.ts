import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { NoQueryParams } from '@dske/service-runtime';
import { CallerSae, SaeCredentials } from './caller-sae';
import { ETSI_PREFIXED_PATH, ETSI_ROOT_PATH } from './etsi-paths';
import { EtsiKeysService, type AnswerEvents } from './etsi-keys.service';
import {
  DecKeysQueryDto, EncKeysQueryDto, EtsiErrorDto, KeyContainerDto, KeyIdsDto, KeyRequestDto, MasterSaeParamDto, SlaveSaeParamDto, StatusDto,
} from './etsi.dto';

@ApiTags('etsi')
@ApiBearerAuth('sae')
@ApiUnauthorizedResponse({ type: EtsiErrorDto, description: 'No SAE identity, or an SAE this key or KME is not for' })
@ApiBadRequestResponse({ type: EtsiErrorDto })
@Controller(ETSI_PREFIXED_PATH)
export class EtsiKeysController {
  constructor(private readonly keys: EtsiKeysService) {}

  @Get(':slave_SAE_ID/status')
  @NoQueryParams()
  @ApiOperation({ summary: 'ETSI 014 Get status (caller: master SAE)' })
  @ApiOkResponse({ type: StatusDto })
  status(@Param() params: SlaveSaeParamDto, @CallerSae() caller: SaeCredentials): Promise<StatusDto> {
    return this.keys.status(this.keys.authorize(caller), params.slave_SAE_ID);
  }

  @Get(':slave_SAE_ID/enc_keys')
  @ApiOperation({ summary: 'ETSI 014 Get key (caller: master SAE)' })
  @ApiOkResponse({ type: KeyContainerDto })
  @ApiServiceUnavailableResponse({ type: EtsiErrorDto, description: 'Fewer than min_nr_shares hubs took a share; details per hub' })
  getKey(
    @Param() params: SlaveSaeParamDto,
    @Query() query: EncKeysQueryDto,
    @CallerSae() caller: SaeCredentials,
    @Res({ passthrough: true }) answer: AnswerEvents,
  ): Promise<KeyContainerDto> {
    const master = this.keys.authorize(caller);
    const request = { number: query.number === undefined ? undefined : Number(query.number), size: query.size === undefined ? undefined : Number(query.size) };
    return this.keys.getKeys(master, params.slave_SAE_ID, request, answer);
  }

  @Post(':slave_SAE_ID/enc_keys')
  @HttpCode(200)
  @ApiOperation({ summary: 'ETSI 014 Get key, POST form (caller: master SAE)' })
  @ApiOkResponse({ type: KeyContainerDto })
  @ApiServiceUnavailableResponse({ type: EtsiErrorDto })
  postKey(
    @Param() params: SlaveSaeParamDto,
    @Body() body: KeyRequestDto,
    @CallerSae() caller: SaeCredentials,
    @Res({ passthrough: true }) answer: AnswerEvents,
  ): Promise<KeyContainerDto> {
    return this.keys.getKeys(this.keys.authorize(caller), params.slave_SAE_ID, body, answer);
  }

  @Get(':master_SAE_ID/dec_keys')
  @ApiOperation({ summary: 'ETSI 014 Get key with key IDs (caller: slave SAE)' })
  @ApiOkResponse({ type: KeyContainerDto })
  @ApiServiceUnavailableResponse({ type: EtsiErrorDto, description: 'Fewer than min_nr_shares hubs reachable' })
  getKeyWithIds(
    @Param() params: MasterSaeParamDto,
    @Query() query: DecKeysQueryDto,
    @CallerSae() caller: SaeCredentials,
    @Res({ passthrough: true }) answer: AnswerEvents,
  ): Promise<KeyContainerDto> {
    return this.keys.getKeysWithIds(params.master_SAE_ID, this.keys.authorize(caller), [query.key_ID], answer);
  }

  @Post(':master_SAE_ID/dec_keys')
  @HttpCode(200)
  @ApiOperation({ summary: 'ETSI 014 Get key with key IDs, POST form (caller: slave SAE)' })
  @ApiOkResponse({ type: KeyContainerDto })
  @ApiServiceUnavailableResponse({ type: EtsiErrorDto })
  postKeyWithIds(
    @Param() params: MasterSaeParamDto,
    @Body() body: KeyIdsDto,
    @CallerSae() caller: SaeCredentials,
    @Res({ passthrough: true }) answer: AnswerEvents,
  ): Promise<KeyContainerDto> {
    return this.keys.getKeysWithIds(params.master_SAE_ID, this.keys.authorize(caller), body.key_IDs.map((k) => k.key_ID), answer);
  }
}

/**
 * The same operations at the path ETSI GS QKD 014 (section 5) gives,
 * `https://{KME_hostname}/api/v1/keys/{SAE_ID}/...`, which ETSI client
 * libraries build from a host name and port: outside the node's prefix (the
 * client's rootRoutes, see startClient), one operation set at two mount points.
 */
@Controller(ETSI_ROOT_PATH)
export class EtsiRootKeysController extends EtsiKeysController {}
