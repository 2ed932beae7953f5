import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { maskUrl } from '../../connectors/http/transport/index.js';
import { CreatedTarget, Delivery, DeliveryQuery, DeliveryStatus, Target, TargetInput, TargetKind } from '../../notifications/index.js';
import type { Services } from '../../services.js';
import { authErrors, ErrorResponse, IdParams } from '../schemas.js';

const TestOutcome = z.object({
  deliveryId: z.string(),
  targetId: z.string(),
  kind: TargetKind,
  status: DeliveryStatus,
  attempts: z.number().int(),
  responseStatus: z.number().int().nullable(),
  error: z.string().nullable(),
});

/** Webhook URLs may carry a token in their query; the audit trail keeps them masked. */
function maskTargetBody(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const copy = { ...(body as Record<string, unknown>) };
  if (typeof copy.url === 'string') copy.url = maskUrl(copy.url);
  return copy;
}

/** Notification targets (webhooks, e-mail) of the caller's organisation, and what was delivered to them. */
/**
 * A webhook URL often carries its own secret (Slack's `/services/T…/B…/xxxx`,
 * a `?token=`): viewers see only where it points, editors (who may change
 * targets anyway) see it whole.
 */
export function maskWebhookUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}/…`;
  } catch {
    return '…';
  }
}

const forRole = <T extends { url: string | null }>(target: T, role: string): T =>
  role === 'viewer' && target.url ? { ...target, url: maskWebhookUrl(target.url) } : target;

export const notificationsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { notifications } = services;

  app.get(
    '/api/notifications',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['notifications'],
        summary: "The organisation's notification targets (never their signing secrets)",
        response: { 200: z.object({ targets: z.array(Target), emailEnabled: z.boolean() }), ...authErrors },
      },
    },
    async (request) => ({
      targets: (await notifications.listTargets(request.principal!.orgId)).map((t) => forRole(t, request.principal!.role)),
      emailEnabled: notifications.emailEnabled,
    }),
  );

  app.post(
    '/api/notifications',
    {
      config: { auth: 'editor', audit: 'notification.create', bodyErrorCode: 'invalid_config', auditBody: maskTargetBody },
      schema: {
        tags: ['notifications'],
        summary: 'Add a webhook or e-mail target; a webhook answer carries its signing secret, this once',
        body: TargetInput,
        response: { 201: CreatedTarget, ...authErrors, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const p = request.principal!;
      const created = await notifications.createTarget(p.orgId, request.body, p.actor);
      request.audit.target = `notification:${created.id}`;
      return reply.status(201).send(created);
    },
  );

  // A static path: Fastify matches it before /:id.
  app.get(
    '/api/notifications/deliveries',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['notifications'],
        summary: 'Deliveries, newest first; filter by target or run',
        querystring: DeliveryQuery,
        response: { 200: z.object({ deliveries: z.array(Delivery) }), ...authErrors },
      },
    },
    async (request) => ({ deliveries: await notifications.listDeliveries(request.principal!.orgId, request.query) }),
  );

  app.get(
    '/api/notifications/:id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['notifications'], summary: 'One notification target', params: IdParams, response: { 200: Target, ...authErrors, 404: ErrorResponse } },
    },
    async (request) => forRole(await notifications.getTarget(request.principal!.orgId, request.params.id), request.principal!.role),
  );

  app.delete(
    '/api/notifications/:id',
    {
      config: { auth: 'editor', audit: 'notification.delete' },
      schema: { tags: ['notifications'], summary: 'Remove a notification target', params: IdParams, response: { 204: z.null(), ...authErrors, 404: ErrorResponse } },
    },
    async (request, reply) => {
      request.audit.target = `notification:${request.params.id}`;
      await notifications.deleteTarget(request.principal!.orgId, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/notifications/:id/test',
    {
      config: { auth: 'editor', audit: 'notification.test' },
      schema: {
        tags: ['notifications'],
        summary: 'Send a sample notification to one target now; the answer says how the delivery went',
        params: IdParams,
        response: { 200: TestOutcome, ...authErrors, 404: ErrorResponse },
      },
    },
    async (request) => {
      request.audit.target = `notification:${request.params.id}`;
      return notifications.sendTest(request.principal!.orgId, request.params.id);
    },
  );
};
