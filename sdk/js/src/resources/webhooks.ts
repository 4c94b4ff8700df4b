import { encodePath as p, type RequestOptions } from '../core.js';
import type {
  Delivery,
  ListParams,
  Page,
  TestDelivery,
  Webhook,
  WebhookCreateParams,
  WebhookUpdateParams,
  WebhookWithSecret,
} from '../types.js';
import { Resource } from './resource.js';

/** The delivery log of a webhook, with every attempt. */
export class WebhookDeliveries extends Resource {
  list(
    webhookId: string,
    params: ListParams = {},
    options?: RequestOptions,
  ): Promise<Page<Delivery>> {
    return this.transport.request({
      method: 'GET',
      path: p`/webhooks/${webhookId}/deliveries`,
      query: { ...params },
      options,
    });
  }

  get(webhookId: string, deliveryId: string, options?: RequestOptions): Promise<Delivery> {
    return this.transport.request({
      method: 'GET',
      path: p`/webhooks/${webhookId}/deliveries/${deliveryId}`,
      options,
    });
  }

  /** Sends the delivery again (queued: the answer is the delivery as it stands). */
  retry(webhookId: string, deliveryId: string, options?: RequestOptions): Promise<Delivery> {
    return this.transport.request({
      method: 'POST',
      path: p`/webhooks/${webhookId}/deliveries/${deliveryId}/retry`,
      options,
    });
  }
}

/** The caller's own webhooks. */
export class Webhooks extends Resource {
  readonly deliveries = new WebhookDeliveries(this.transport);

  /** The answer carries the signing `secret`: keep it, it is not shown again. */
  create(params: WebhookCreateParams, options?: RequestOptions): Promise<WebhookWithSecret> {
    return this.transport.request({ method: 'POST', path: '/webhooks', body: params, options });
  }

  list(params: ListParams = {}, options?: RequestOptions): Promise<Page<Webhook>> {
    return this.transport.request({
      method: 'GET',
      path: '/webhooks',
      query: { ...params },
      options,
    });
  }

  get(id: string, options?: RequestOptions): Promise<Webhook> {
    return this.transport.request({ method: 'GET', path: p`/webhooks/${id}`, options });
  }

  update(id: string, params: WebhookUpdateParams, options?: RequestOptions): Promise<Webhook> {
    return this.transport.request({
      method: 'PATCH',
      path: p`/webhooks/${id}`,
      body: params,
      options,
    });
  }

  delete(id: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: p`/webhooks/${id}`, options });
  }

  /** A new signing secret; the old one stops being used at once. */
  rotateSecret(id: string, options?: RequestOptions): Promise<WebhookWithSecret> {
    return this.transport.request({
      method: 'POST',
      path: p`/webhooks/${id}/rotate-secret`,
      options,
    });
  }

  /** Sends a `webhook.test` event once, now, and reports how the receiver answered. */
  test(id: string, options?: RequestOptions): Promise<TestDelivery> {
    return this.transport.request({ method: 'POST', path: p`/webhooks/${id}/test`, options });
  }
}
