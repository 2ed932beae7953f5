import { describe, expect, it } from 'vitest';
import { checkTemplate, renderJsonTemplates, renderTemplate, templateScope } from './templates.js';

const scope = templateScope({ now: new Date('2026-03-04T05:06:07Z'), lastRunAt: new Date('2026-03-01T23:30:00Z'), cursor: 1234 });

describe('templates', () => {
  it('formats dates in UTC with strftime-style filters', () => {
    expect(renderTemplate("{{ last_run_at | date: '%Y-%m-%d' }}", scope, 'p')).toBe('2026-03-01');
    expect(renderTemplate("{{ now | date: '%Y-%m-%dT%H:%M:%S' }}", scope, 'p')).toBe('2026-03-04T05:06:07');
    expect(renderTemplate('{{ cursor }}', scope, 'p')).toBe('1234');
    expect(renderTemplate('plain value', scope, 'p')).toBe('plain value');
  });

  it('renders to an empty string when there was no previous run or cursor', () => {
    const first = templateScope({ now: new Date(), lastRunAt: undefined, cursor: undefined });
    expect(renderTemplate("{{ last_run_at | date: '%Y-%m-%d' }}", first, 'p')).toBe('');
    expect(renderTemplate('{{ cursor }}', first, 'p')).toBe('');
  });

  it('cannot read files or run code', () => {
    expect(() => renderTemplate("{% include '/etc/passwd' %}", scope, 'parameters[0].value')).toThrow(/parameters\[0\]\.value/);
    expect(renderTemplate('{{ constructor }}{{ now.constructor }}', scope, 'p')).toBe('');
    expect(() => renderTemplate('{{ now | nosuchfilter }}', scope, 'p')).toThrow();
  });

  it('reports broken templates, and refuses the tags that read files when the template is checked', () => {
    expect(checkTemplate('{{ unclosed')).toBeTruthy();
    expect(checkTemplate("{% render 'x' %}")).toMatch(/not available/);
    expect(checkTemplate("{% include 'x' %}")).toMatch(/not available/);
    expect(checkTemplate("{{ now | date: '%Y' }}")).toBeUndefined();
  });

  it('renders every string of a JSON body', () => {
    expect(renderJsonTemplates({ since: "{{ last_run_at | date: '%Y' }}", n: 1, list: ['{{ cursor }}'] }, scope, 'body')).toEqual({
      since: '2026',
      n: 1,
      list: ['1234'],
    });
  });
});
