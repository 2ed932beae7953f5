import { z } from 'zod';
import { Email, OrgId, Password, Role, generatePassword, type Actor } from '../auth/index.js';
import { migrate } from '../db/index.js';
import { ConnectionId } from '../connections/index.js';
import { PIPELINE_OPERATIONS } from './pipeline.operations.js';
import { AIRFLOW_OPERATIONS } from './airflow.operations.js';
import { isAppError, notFound } from '../errors/index.js';
import { parseInput } from '../errors/validate.js';
import type { Services } from '../services.js';

/**
 * Platform operations: what an operator does from a shell (`sluice org create`, ...).
 * Each is a plain function over the services with a zod input, so the CLI can
 * run it in-process, or, when `sluice start` holds the embedded data
 * directory, hand it to the running server, which runs the very same code.
 */
export interface Operation<I extends z.ZodType, O> {
  name: string;
  input: I;
  /** The audit action; undefined for read-only or bookkeeping operations. */
  auditAction: string | undefined;
  run(services: Services, input: z.output<I>, actor: Actor): Promise<O>;
  /** The org and target recorded in the audit trail. */
  auditSubject(input: z.output<I>, output?: O): { orgId: string | null; target: string | null };
}

const define = <I extends z.ZodType, O>(op: Operation<I, O>): Operation<I, O> => op;

export const migrateOperation = define({
  name: 'migrate',
  input: z.object({}),
  auditAction: 'database.migrate',
  async run(services) {
    // Opening the database already applied what was pending; report that too.
    const now = await migrate(services.db);
    return { applied: [...(services.startupMigrations?.applied ?? []), ...now.applied], current: now.current };
  },
  auditSubject: () => ({ orgId: null, target: null }),
});

export const createOrgOperation = define({
  name: 'org.create',
  input: z.object({ id: OrgId, name: z.string().trim().min(1).max(200).optional() }),
  auditAction: 'org.create',
  async run(services, input) {
    return services.orgs.create(input);
  },
  auditSubject: (input) => ({ orgId: input.id, target: `org:${input.id}` }),
});

export const createUserOperation = define({
  name: 'user.create',
  input: z.object({
    org: OrgId,
    email: Email,
    role: Role,
    password: Password.optional(),
    name: z.string().trim().min(1).max(200).optional(),
  }),
  auditAction: 'user.create',
  async run(services, input) {
    const password = input.password ?? generatePassword();
    const user = await services.users.create(input.org, {
      email: input.email,
      password,
      role: input.role,
      name: input.name,
    });
    return { user, generatedPassword: input.password ? undefined : password };
  },
  auditSubject: (input, output) => ({ orgId: input.org, target: output ? `user:${output.user.id}` : `email:${input.email}` }),
});

export const createTokenOperation = define({
  name: 'token.create',
  input: z.object({
    org: OrgId,
    role: Role.default('editor'),
    name: z.string().trim().min(1).max(200).default('cli'),
    expiresInDays: z.number().int().positive().max(3650).optional(),
  }),
  auditAction: 'token.create',
  async run(services, input, actor) {
    return services.tokens.issueApiToken(input.org, { ...input, createdBy: actor });
  },
  auditSubject: (input, output) => ({ orgId: input.org, target: output ? `token:${output.info.id}` : null }),
});

/** `sluice run`: a manual run of a connection's pipeline, in the connection's organisation (or `org`, which must be it). */
export const triggerRunOperation = define({
  name: 'run.trigger',
  input: z.object({ connectionId: ConnectionId, org: OrgId.optional() }),
  auditAction: 'run.execute',
  async run(services, input, actor) {
    const orgId = input.org ?? (await services.connections.orgOf(input.connectionId));
    if (!orgId) throw notFound('Connection', input.connectionId);
    return services.runs.execute(orgId, { connectionId: input.connectionId }, actor);
  },
  auditSubject: (input, output) => ({ orgId: output?.orgId ?? input.org ?? null, target: output ? `run:${output.runId}` : `connection:${input.connectionId}` }),
});

export const getRunOperation = define({
  name: 'run.get',
  input: z.object({ org: OrgId, runId: z.string().min(1).max(200) }),
  auditAction: undefined,
  async run(services, input) {
    return services.runs.get(input.org, input.runId);
  },
  auditSubject: (input) => ({ orgId: input.org, target: `run:${input.runId}` }),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry of operations with different inputs
export const OPERATIONS: Record<string, Operation<any, unknown>> = Object.fromEntries(
  [migrateOperation, createOrgOperation, createUserOperation, createTokenOperation, triggerRunOperation, getRunOperation, ...PIPELINE_OPERATIONS, ...AIRFLOW_OPERATIONS].map((op) => [op.name, op]),
);

/**
 * Validates the input, runs the operation and writes its audit event
 * (success or failure). `raw` is untrusted: it may come over HTTP from the CLI.
 */
export async function runOperation<I extends z.ZodType, O>(
  services: Services,
  op: Operation<I, O>,
  raw: unknown,
  actor: Actor,
): Promise<O> {
  let input: z.output<I> | undefined;
  try {
    input = parseInput(op.input, raw);
    const output = await op.run(services, input, actor);
    if (op.auditAction) {
      await services.audit.record({
        ...op.auditSubject(input, output),
        actor,
        action: op.auditAction,
        outcome: 'success',
        input: raw,
      });
    }
    return output;
  } catch (error) {
    if (op.auditAction) {
      const subject = input ? op.auditSubject(input) : { orgId: null, target: null };
      await services.audit.record({
        ...subject,
        actor,
        action: op.auditAction,
        outcome: 'failed',
        input: raw,
        errorCode: isAppError(error) ? error.code : 'internal',
      });
    }
    throw error;
  }
}
