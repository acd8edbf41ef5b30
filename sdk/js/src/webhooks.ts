import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { Result } from './types.js';

/** What Butterbase POSTs to a webhook endpoint (the body, once verified). */
export interface WebhookEvent<TData = Record<string, unknown>> {
  /** e.g. `connection.expired`, `connection.created`, `function.failed`, `webhook.test`. */
  type: string;
  /** When the event happened (ISO 8601 UTC). */
  timestamp: string;
  /** For connection events: `{ connectionId, toolkit, userId, status, reason? }` (`revoked` on `connection.deleted`). */
  data: TData;
}

/** Request headers as node (`req.headers`), fetch (`Headers`) or a plain object give them. */
export type WebhookHeaders =
  | Headers
  | Record<string, string | string[] | undefined>;

function flatten(headers: WebhookHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
    (headers as Headers).forEach((value, key) => { out[key.toLowerCase()] = value; });
    return out;
  }
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (value === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Verifies a webhook from Butterbase (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`) and
 * answers the parsed event, or `error.code` `invalid_signature` (a wrong secret, a changed body, missing headers) or
 * `invalid_timestamp` (more than five minutes off: a replayed request). Pass the body exactly as received (the raw
 * text, not re-serialized JSON) and the endpoint's `whsec_…` secret. During a secret rotation the header carries a
 * signature for each secret; either one verifies. Never throws.
 *
 * ```ts
 * const { data: event, error } = verifyWebhook(rawBody, req.headers, process.env.BUTTERBASE_WEBHOOK_SECRET!);
 * if (error) return res.status(400).end();
 * if (event.type === 'connection.expired') askToReconnect(event.data.userId);
 * ```
 */
export function verifyWebhook<TData = Record<string, unknown>>(
  payload: string | Uint8Array, headers: WebhookHeaders, secret: string,
): Result<WebhookEvent<TData>> {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  let event: unknown;
  try {
    event = new Webhook(secret).verify(text, flatten(headers));
  } catch (e) {
    // WebhookVerificationError for a bad signature, headers or timestamp; a plain Error for a secret that is not base64.
    const message = e instanceof WebhookVerificationError || e instanceof Error ? e.message : String(e);
    const timestamp = /timestamp too (old|new)/i.test(message);
    return {
      data: null,
      error: { code: timestamp ? 'invalid_timestamp' : 'invalid_signature', message: timestamp ? `${message}: the request is not recent (replayed?).` : `${message}.`, status: 0 },
    };
  }
  if (!event || typeof event !== 'object' || typeof (event as WebhookEvent).type !== 'string')
    return { data: null, error: { code: 'invalid_payload', message: 'The verified body is not a Butterbase event.', status: 0 } };
  return { data: event as WebhookEvent<TData>, error: null };
}
