import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Schedule, ScheduleBody, ScheduleDescription, SchedulePatch } from '../../runs/index.js';
import type { Services } from '../../services.js';
import { authErrors, ErrorResponse, IdParams } from '../schemas.js';
import { maskWorkflowBody } from './runs.routes.js';

/** Schedules (CONTRACT.md, Runs and schedules), with the first seed's payload. */
export const schedulerRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { schedules } = services;

  app.post(
    '/api/scheduler',
    {
      config: { auth: 'editor', audit: 'schedule.create', bodyErrorCode: 'invalid_config', auditBody: maskWorkflowBody },
      schema: {
        tags: ['schedules'],
        summary: 'Schedule a connection',
        description:
          'The first seed\'s payload: `connectionId`, `scheduleType` (hourly, daily, weekly, monthly, custom), `cronExpression`, `timezone` (IANA, default UTC) and, ' +
          'for a connection that does not exist yet, its `workflowConfig`. A preset type without an expression uses the preset; an expression wins over the type. ' +
          'Sent again for a connection that has a schedule, it changes that schedule to what the payload says and answers 200 (the first time 201).',
        body: ScheduleBody,
        response: { 200: Schedule, 201: Schedule, ...authErrors, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const p = request.principal!;
      const { schedule, created } = await schedules.create(p.orgId, request.body, p.actor);
      request.audit.target = `schedule:${schedule.scheduleId}`;
      return reply.status(created ? 201 : 200).send(schedule);
    },
  );

  app.get(
    '/api/scheduler',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['schedules'], summary: "The organisation's schedules", response: { 200: z.object({ schedules: z.array(Schedule) }), ...authErrors } },
    },
    async (request) => ({ schedules: await schedules.list(request.principal!.orgId) }),
  );

  app.get(
    '/api/scheduler/describe',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['schedules'],
        summary: 'Describe a schedule without saving it: plain words and the next five fire times',
        description:
          'Takes `scheduleType`, `cronExpression` and `timezone` as `POST /api/scheduler` does and answers what saving them would give, or the same 422 naming the field. ' +
          'The schedule editor asks while a person types.',
        querystring: z.object({
          scheduleType: z.string().max(20).optional(),
          cronExpression: z.string().max(200).optional(),
          timezone: z.string().max(100).optional(),
        }),
        response: { 200: ScheduleDescription, ...authErrors, 422: ErrorResponse },
      },
    },
    async (request) => schedules.describe(request.query),
  );

  app.get(
    '/api/scheduler/:id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['schedules'], summary: 'One schedule with its next five fire times', params: IdParams, response: { 200: Schedule, ...authErrors, 404: ErrorResponse } },
    },
    async (request) => schedules.get(request.principal!.orgId, request.params.id),
  );

  app.patch(
    '/api/scheduler/:id',
    {
      config: { auth: 'editor', audit: 'schedule.update', bodyErrorCode: 'invalid_config' },
      schema: {
        tags: ['schedules'],
        summary: 'Pause, resume or change a schedule',
        description: 'Resuming starts from now: fire times that passed while paused are not caught up.',
        params: IdParams,
        body: SchedulePatch,
        response: { 200: Schedule, ...authErrors, 404: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => {
      request.audit.target = `schedule:${request.params.id}`;
      return schedules.update(request.principal!.orgId, request.params.id, request.body);
    },
  );

  app.delete(
    '/api/scheduler/:id',
    {
      config: { auth: 'editor', audit: 'schedule.delete' },
      schema: { tags: ['schedules'], summary: 'Delete a schedule (its runs stay)', params: IdParams, response: { 204: z.null(), ...authErrors, 404: ErrorResponse } },
    },
    async (request, reply) => {
      request.audit.target = `schedule:${request.params.id}`;
      await schedules.delete(request.principal!.orgId, request.params.id);
      return reply.status(204).send(null);
    },
  );
};
