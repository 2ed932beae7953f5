import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AirflowTaskAttempt, AirflowTaskCall } from '../../runs/index.js';
import type { Services } from '../../services.js';
import { ErrorResponse } from '../schemas.js';

/**
 * The routes the generated DAG files call from Airflow's workers, with the
 * platform's Airflow token (SLUICE_AIRFLOW_TOKEN): start one try of one task,
 * then poll it. Each answers quickly, so no request outlives a token.
 */
export const airflowTasksRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { airflowTasks } = services;
  const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse };

  app.post(
    '/api/airflow/tasks/',
    {
      config: { auth: 'airflow', bodyErrorCode: 'invalid_config' },
      schema: {
        tags: ['airflow'],
        summary: 'Run one try of one task (called by the generated DAG files)',
        description: 'Idempotent per (dag_run_id, task_id, try_number): calling again for the same try starts nothing and answers its state.',
        body: AirflowTaskCall,
        response: { 202: AirflowTaskAttempt, ...errors },
      },
    },
    async (request, reply) => reply.status(202).send(await airflowTasks.start(request.body)),
  );

  app.get(
    '/api/airflow/tasks/:dagId/:runId/:taskId/:tryNumber/',
    {
      config: { auth: 'airflow' },
      schema: {
        tags: ['airflow'],
        summary: 'How one try of a task is going',
        params: z.object({ dagId: z.string().max(300), runId: z.string().max(300), taskId: z.string().max(200), tryNumber: z.coerce.number().int().min(1) }),
        response: { 200: AirflowTaskAttempt, ...errors },
      },
    },
    async (request) => airflowTasks.status(request.params.dagId, request.params.runId, request.params.taskId, request.params.tryNumber),
  );
};
