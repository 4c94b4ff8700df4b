import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import { ErrorCode } from '../core/errors/error-code';
import { ListQueryDto } from '../core/http/list-query.dto';
import { IdParam } from '../core/http/parse-id.pipe';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { DeliveryListDto, DeliveryResponseDto } from './dto/delivery-response.dto';
import { TestDeliveryResponseDto } from './dto/test-delivery-response.dto';
import { UpdateWebhookDto } from './dto/update-webhook.dto';
import { WebhookListDto, WebhookResponseDto } from './dto/webhook-response.dto';
import { WebhooksService } from './webhooks.service';

const WebhookId = () => IdParam('id', ErrorCode.WEBHOOK_NOT_FOUND);
const DeliveryId = () => IdParam('deliveryId', ErrorCode.DELIVERY_NOT_FOUND);

@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  create(
    @CurrentUser() actor: Principal,
    @Body() dto: CreateWebhookDto,
  ): Promise<WebhookResponseDto> {
    return this.webhooks.create(actor, dto);
  }

  @Get()
  list(@CurrentUser() actor: Principal, @Query() query: ListQueryDto): Promise<WebhookListDto> {
    return this.webhooks.list(actor, query);
  }

  @Get(':id')
  get(@CurrentUser() actor: Principal, @WebhookId() id: string): Promise<WebhookResponseDto> {
    return this.webhooks.get(actor, id);
  }

  @Patch(':id')
  update(
    @CurrentUser() actor: Principal,
    @WebhookId() id: string,
    @Body() dto: UpdateWebhookDto,
  ): Promise<WebhookResponseDto> {
    return this.webhooks.update(actor, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentUser() actor: Principal, @WebhookId() id: string): Promise<void> {
    return this.webhooks.remove(actor, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  rotate(@CurrentUser() actor: Principal, @WebhookId() id: string): Promise<WebhookResponseDto> {
    return this.webhooks.rotateSecret(actor, id);
  }

  @Post(':id/test')
  @HttpCode(200)
  test(@CurrentUser() actor: Principal, @WebhookId() id: string): Promise<TestDeliveryResponseDto> {
    return this.webhooks.test(actor, id);
  }

  @Get(':id/deliveries')
  deliveries(
    @CurrentUser() actor: Principal,
    @WebhookId() id: string,
    @Query() query: ListQueryDto,
  ): Promise<DeliveryListDto> {
    return this.webhooks.listDeliveries(actor, id, query);
  }

  @Get(':id/deliveries/:deliveryId')
  delivery(
    @CurrentUser() actor: Principal,
    @WebhookId() id: string,
    @DeliveryId() deliveryId: string,
  ): Promise<DeliveryResponseDto> {
    return this.webhooks.getDelivery(actor, id, deliveryId);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  retry(
    @CurrentUser() actor: Principal,
    @WebhookId() id: string,
    @DeliveryId() deliveryId: string,
  ): Promise<DeliveryResponseDto> {
    return this.webhooks.retryDelivery(actor, id, deliveryId);
  }
}
