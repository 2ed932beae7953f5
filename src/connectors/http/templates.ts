import { Liquid, Tag, type TagToken, type TopLevelToken } from 'liquidjs';
import { UserError } from '../../errors/index.js';
import type { TemplateContext } from './config.schema.js';

/**
 * Liquid templates for parameter, header and body values. Liquid has no way
 * to run code; on top of that, include/render find no files (an empty
 * in-memory template set), dates format in UTC, and parse and render work is
 * bounded so a hostile template cannot exhaust the server.
 */
const engine = new Liquid({
  templates: {},
  strictFilters: true,
  ownPropertyOnly: true,
  timezoneOffset: 0,
  parseLimit: 10_000,
  renderLimit: 100,
  memoryLimit: 1_000_000,
  cache: 500,
});

// Templates live in a connection, never in files: the tags that read other templates fail when parsed,
// so a connection using them is refused when saved rather than when it runs.
for (const name of ['include', 'render', 'layout']) {
  engine.registerTag(
    name,
    class extends Tag {
      constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
        super(token, remain, liquid);
        throw new Error(`the {% ${name} %} tag is not available in Sluice templates`);
      }
      *render(): Generator<unknown, void, unknown> {
        // Never reached: the constructor refuses the tag.
      }
    },
  );
}

/** What a template sees: `now`, `last_run_at`, `cursor` (ISO strings for dates; '' when unknown). */
export function templateScope(context: TemplateContext): Record<string, unknown> {
  return {
    now: context.now.toISOString(),
    last_run_at: context.lastRunAt ? context.lastRunAt.toISOString() : '',
    cursor: context.cursor ?? '',
  };
}

/** Renders one template; `field` names it in the error when the template is broken. */
export function renderTemplate(template: string, scope: Record<string, unknown>, field: string): string {
  if (!template.includes('{')) return template;
  try {
    return engine.parseAndRenderSync(template, scope) as string;
  } catch (error) {
    throw new UserError('invalid_config', `${field}: template ${JSON.stringify(template)} cannot be rendered: ${(error as Error).message}`, {
      cause: error,
      details: { issues: [{ field, message: (error as Error).message }] },
    });
  }
}

/** Checks a template parses, for validating a connection before it is saved. */
export function checkTemplate(template: string): string | undefined {
  if (!template.includes('{')) return undefined;
  try {
    engine.parse(template);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Renders every string inside a JSON body (keys stay as they are). */
export function renderJsonTemplates(value: unknown, scope: Record<string, unknown>, field: string): unknown {
  if (typeof value === 'string') return renderTemplate(value, scope, field);
  if (Array.isArray(value)) return value.map((v, i) => renderJsonTemplates(v, scope, `${field}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJsonTemplates(v, scope, `${field}.${k}`)]));
  }
  return value;
}
