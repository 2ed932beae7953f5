// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { renderWithApp } from '../../../test-utils';
import type { RunDetail } from '../api/get-run';
import { layoutTasks, RunGraph, toFlow } from './run-graph';

afterEach(cleanup);

const task = (taskId: string, state: RunDetail['tasks'][number]['state'], upstream: string[]): RunDetail['tasks'][number] => ({
  taskId,
  state,
  upstream,
  tryNumber: 1,
  maxAttempts: 3,
  startedAt: '2025-01-01T10:00:00.000Z',
  endedAt: '2025-01-01T10:00:02.000Z',
  rowsIn: 10,
  rowsOut: state === 'success' ? 10 : null,
  rowsRejected: 0,
  error: state === 'failed' ? 'source_unreachable' : null,
  errorCode: null,
  output: null,
  progress: null,
});

// etl_workflow's four tasks, listed out of order: the layout must come from `upstream`, not from the list.
const ETL = [
  task('send_notification', 'success', ['health_check']),
  task('health_check', 'upstream_failed', ['load']),
  task('extract', 'success', []),
  task('load', 'failed', ['extract']),
];

const xOf = (taskId: string) => {
  const node = document.querySelector<HTMLElement>(`.react-flow__node[data-id="${taskId}"]`)!;
  return Number(/translate\(\s*(-?[\d.]+)px/.exec(node.style.transform)?.[1]);
};

describe('RunGraph', () => {
  it('lays out the tasks of etl_workflow left to right in dependency order', () => {
    const positions = layoutTasks(ETL);
    expect(['extract', 'load', 'health_check', 'send_notification'].map((id) => positions.get(id)?.depth)).toEqual([0, 1, 2, 3]);

    renderWithApp(<RunGraph tasks={ETL} selected={null} onSelect={() => undefined} />);
    const xs = ['extract', 'load', 'health_check', 'send_notification'].map(xOf);
    expect(xs.every((x) => Number.isFinite(x))).toBe(true);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    expect(new Set(xs).size).toBe(4);
    // Edges are drawn once the browser has measured the nodes (not in happy-dom): check what the graph is given.
    expect(toFlow(ETL, null, () => undefined).edges.map((e) => `${e.source}->${e.target}`).sort()).toEqual([
      'extract->load',
      'health_check->send_notification',
      'load->health_check',
    ]);
  });

  it('colours a failed task red, an upstream-failed one grey, and shows try, duration and rows', () => {
    renderWithApp(<RunGraph tasks={ETL} selected={null} onSelect={() => undefined} />);
    const load = screen.getByTestId('dag-node-load');
    expect(load.dataset.color).toBe('red');
    expect(load.style.borderColor).toBe('var(--mantine-color-red-6)');
    expect(screen.getByTestId('dag-node-extract').dataset.color).toBe('green');
    expect(screen.getByTestId('dag-node-health_check').dataset.color).toBe('gray');
    expect(load.textContent).toContain('try 1/3');
    expect(load.textContent).toContain('2 s');
    expect(screen.getByTestId('dag-node-extract').textContent).toMatch(/rows 10 in · 10 out · 0 rejected/);
  });

  it('picks a task when its node is clicked', () => {
    const onSelect = vi.fn();
    renderWithApp(<RunGraph tasks={ETL} selected="extract" onSelect={onSelect} />);
    expect(screen.getByTestId('dag-node-extract').getAttribute('aria-pressed')).toBe('true');
    // React Flow keeps nodes hidden until the browser measures them, which happy-dom never does.
    const load = screen.getByTestId('dag-node-load');
    expect(load.tagName).toBe('BUTTON');
    expect(load.getAttribute('aria-label')).toBe('Task load: failed; show its logs');
    fireEvent.click(load);
    expect(onSelect).toHaveBeenCalledWith('load');
  });
});
