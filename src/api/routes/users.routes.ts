import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Email, Password, Role, User } from '../../auth/index.js';
import { UserError } from '../../errors/index.js';
import type { Services } from '../../services.js';
import { authErrors, ErrorResponse, IdParams } from '../schemas.js';

const CreateUser = z.object({
  email: Email,
  password: Password,
  role: Role,
  name: z.string().trim().min(1).max(200).optional(),
});

const PatchUser = z
  .object({
    role: Role.optional(),
    name: z.string().trim().min(1).max(200).nullable().optional(),
    password: Password.optional(),
    disabled: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one of role, name, password, disabled' });

/** Users of the caller's organisation. Reading is open to every member; changes need admin. */
export const usersRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/users',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['users'], summary: "List the organisation's users", response: { 200: z.object({ users: z.array(User) }), ...authErrors } },
    },
    async (request) => ({ users: await services.users.list(request.principal!.orgId) }),
  );

  app.post(
    '/api/users',
    {
      config: { auth: 'admin', audit: 'user.create' },
      schema: { tags: ['users'], summary: 'Add a user', body: CreateUser, response: { 201: User, ...authErrors, 409: ErrorResponse } },
    },
    async (request, reply) => {
      const user = await services.users.create(request.principal!.orgId, request.body);
      request.audit.target = `user:${user.id}`;
      return reply.status(201).send(user);
    },
  );

  app.get(
    '/api/users/:id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['users'], summary: 'One user', params: IdParams, response: { 200: User, ...authErrors, 404: ErrorResponse } },
    },
    async (request) => services.users.get(request.principal!.orgId, request.params.id),
  );

  app.patch(
    '/api/users/:id',
    {
      config: { auth: 'admin', audit: 'user.update' },
      schema: {
        tags: ['users'],
        summary: 'Change role, name or password, or disable a user',
        params: IdParams,
        body: PatchUser,
        response: { 200: User, ...authErrors, 404: ErrorResponse },
      },
    },
    async (request) => {
      const p = request.principal!;
      if (p.userId === request.params.id && (request.body.role !== undefined || request.body.disabled)) {
        // Keeps an organisation from locking itself out by its last admin demoting itself.
        throw new UserError('conflict', 'You cannot change your own role or disable yourself; ask another admin');
      }
      request.audit.target = `user:${request.params.id}`;
      return services.users.update(p.orgId, request.params.id, request.body);
    },
  );

  app.delete(
    '/api/users/:id',
    {
      config: { auth: 'admin', audit: 'user.delete' },
      schema: { tags: ['users'], summary: 'Remove a user', params: IdParams, response: { 204: z.null(), ...authErrors, 404: ErrorResponse } },
    },
    async (request, reply) => {
      const p = request.principal!;
      if (p.userId === request.params.id) throw new UserError('conflict', 'You cannot delete yourself; ask another admin');
      request.audit.target = `user:${request.params.id}`;
      await services.users.delete(p.orgId, request.params.id);
      return reply.status(204).send(null);
    },
  );
};
