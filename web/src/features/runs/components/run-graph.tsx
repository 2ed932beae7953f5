import '@xyflow/react/dist/style.css';
import { useMemo } from 'react';
import { Box, Group, Text, UnstyledButton } from '@mantine/core';
import { Background, Controls, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import { count, elapsed } from '../../../lib/format';
import type { RunDetail } from '../api/get-run';

type Task = RunDetail['tasks'][number];

/** The colour of a task's node by its state; states with no colour of their own are grey. */
export const TASK_COLORS: Partial<Record<Task['state'], string>> = {
  success: 'green',
  failed: 'red',
  running: 'blue',
  up_for_retry: 'orange',
  queued: 'cyan',
};
export const taskColor = (state: Task['state']): string => TASK_COLORS[state] ?? 'gray';

const COLUMN = 250;
const ROW = 120;
const NODE_WIDTH = 210;

type TaskNodeData = { task: Task; selected: boolean; onSelect: (taskId: string) => void };
type TaskNode = Node<TaskNodeData, 'task'>;

/**
 * Each task's column is its dependency depth (0 for tasks with no upstream,
 * else one more than its deepest upstream), so the DAG reads left to right;
 * tasks of one depth stack in the order the run lists them. Small DAGs need
 * no layout library.
 */
export function layoutTasks(tasks: Pick<Task, 'taskId' | 'upstream'>[]): Map<string, { depth: number; row: number; x: number; y: number }> {
  const byId = new Map(tasks.map((t) => [t.taskId, t]));
  const depths = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depths.get(id);
    if (known !== undefined) return known;
    const task = byId.get(id);
    // An upstream the run does not list, or a cycle (never valid, but never loop on it): depth 0.
    if (!task || seen.has(id)) return 0;
    seen.add(id);
    const ups = task.upstream.filter((u) => byId.has(u));
    const depth = ups.length === 0 ? 0 : 1 + Math.max(...ups.map((u) => depthOf(u, seen)));
    seen.delete(id);
    depths.set(id, depth);
    return depth;
  };
  const rows = new Map<number, number>();
  const positions = new Map<string, { depth: number; row: number; x: number; y: number }>();
  for (const t of tasks) {
    const depth = depthOf(t.taskId, new Set());
    const row = rows.get(depth) ?? 0;
    rows.set(depth, row + 1);
    positions.set(t.taskId, { depth, row, x: depth * COLUMN, y: row * ROW });
  }
  return positions;
}

function TaskNodeView({ data }: NodeProps<TaskNode>) {
  const { task, selected, onSelect } = data;
  const color = taskColor(task.state);
  return (
    <>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <UnstyledButton
        onClick={() => onSelect(task.taskId)}
        aria-label={`Task ${task.taskId}: ${task.state.replaceAll('_', ' ')}; show its logs`}
        aria-pressed={selected}
        data-testid={`dag-node-${task.taskId}`}
        data-state={task.state}
        data-color={color}
        w={NODE_WIDTH}
        p={8}
        className="nodrag nopan"
        style={{
          display: 'block',
          // React Flow turns pointer events off on nodes that are neither draggable nor selectable.
          pointerEvents: 'all',
          borderRadius: 'var(--mantine-radius-md)',
          borderStyle: 'solid',
          borderWidth: selected ? 3 : 2,
          borderColor: `var(--mantine-color-${color}-6)`,
          background: `var(--mantine-color-${color}-0)`,
          boxShadow: selected ? `0 0 0 3px var(--mantine-color-${color}-2)` : undefined,
        }}
      >
        <Group justify="space-between" gap={4} wrap="nowrap">
          <Text size="sm" fw={600} truncate>
            {task.taskId}
          </Text>
          <Text size="xs" c={`${color}.8`} fw={600} tt="uppercase" style={{ whiteSpace: 'nowrap' }}>
            {task.state.replaceAll('_', ' ')}
          </Text>
        </Group>
        <Text size="xs" c="dimmed">
          try {task.tryNumber}/{task.maxAttempts} · {elapsed(task.startedAt, task.endedAt)}
        </Text>
        <Text size="xs" c="dimmed">
          rows {count(task.rowsIn)} in · {count(task.rowsOut)} out · {count(task.rowsRejected)} rejected
        </Text>
      </UnstyledButton>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </>
  );
}

const nodeTypes = { task: TaskNodeView };

/** React Flow's nodes and edges for a run's tasks: one edge per upstream the run lists, animated into a live task. */
export function toFlow(tasks: Task[], selected: string | null, onSelect: (taskId: string) => void) {
  const positions = layoutTasks(tasks);
  const nodes: TaskNode[] = tasks.map((task) => {
    const p = positions.get(task.taskId)!;
    return { id: task.taskId, type: 'task', position: { x: p.x, y: p.y }, data: { task, selected: task.taskId === selected, onSelect } };
  });
  const states = new Map(tasks.map((t) => [t.taskId, t.state]));
  const edges: Edge[] = tasks.flatMap((task) =>
    task.upstream
      .filter((u) => states.has(u))
      .map((u) => ({
        id: `${u}->${task.taskId}`,
        source: u,
        target: task.taskId,
        animated: task.state === 'running' || task.state === 'queued',
        markerEnd: { type: MarkerType.ArrowClosed },
      })),
  );
  const rows = Math.max(1, ...[...positions.values()].map((p) => p.row + 1));
  return { nodes, edges, height: Math.min(520, 80 + rows * ROW) };
}

/** A run's tasks as a DAG, coloured by state; a click on a task picks it (for its logs). */
export function RunGraph({ tasks, selected, onSelect }: { tasks: Task[]; selected: string | null; onSelect: (taskId: string) => void }) {
  const { nodes, edges, height } = useMemo(() => toFlow(tasks, selected, onSelect), [tasks, selected, onSelect]);

  return (
    <Box h={height} data-testid="run-graph" style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 'var(--mantine-radius-md)' }}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        // The button inside each node is its one tab stop.
        nodesFocusable={false}
        edgesFocusable={false}
        minZoom={0.3}
        maxZoom={1.5}
        aria-label="Task graph"
      >
        <Background gap={16} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </Box>
  );
}
