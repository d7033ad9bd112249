import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { MgmtTokenGuard } from './mgmt-token.guard';
import { NoQueryParams } from './no-query';
import { METRICS_CONTENT_TYPE, NodeMetrics } from './node-metrics';

/** GET /metrics at the root, where Prometheus looks; the mgmt token guards it as it guards status. */
@ApiTags('mgmt')
@ApiBearerAuth('mgmt')
@UseGuards(MgmtTokenGuard)
@Controller()
export class MetricsController {
  constructor(private readonly metrics: NodeMetrics) {}

  @Get('metrics')
  @NoQueryParams()
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  @ApiProduces(METRICS_CONTENT_TYPE)
  @ApiOperation({ summary: 'Prometheus metrics: keys, shares, PSRD pools, request latencies, the process' })
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4', schema: { type: 'string' } })
  render(): Promise<string> {
    return this.metrics.render();
  }
}
