import { useEffect, useRef } from 'react';
import { ActionIcon, Button, Checkbox, Group, NativeSelect, Stack, Table, Text, TextInput } from '@mantine/core';
import type { Preview } from '../api/preview-connection';
import { COLUMN_TYPES, mappingsFromSchema, type MappingRow } from './connection-form';

export interface MappingEditorProps {
  value: MappingRow[];
  onChange: (mappings: MappingRow[]) => void;
  /** The preview's inferred schema: fills an empty editor when it arrives, and on request. */
  schema?: Preview['schema'];
  /** The preview's raw records, to find each inferred column's own key. */
  sample?: unknown[];
  readOnly?: boolean;
  /** The API's message for a field such as `fieldMappings.0.target`. */
  errorFor?: (field: string) => string | undefined;
}

/**
 * The field mappings: source JSONPath → target column, its type and whether it
 * is required. Empty means "every top-level field, types inferred"; a preview's
 * inferred schema fills it so that is easy to start from.
 */
export function MappingEditor({ value, onChange, schema, sample, readOnly = false, errorFor = () => undefined }: MappingEditorProps) {
  const filledFrom = useRef<MappingEditorProps['schema']>(undefined);
  useEffect(() => {
    if (!schema || readOnly || filledFrom.current === schema) return;
    filledFrom.current = schema;
    if (value.length === 0 && schema.length > 0) onChange(mappingsFromSchema(schema, sample));
  }, [schema, sample, value.length, readOnly, onChange]);

  const set = (index: number, change: Partial<MappingRow>) => onChange(value.map((row, i) => (i === index ? { ...row, ...change } : row)));
  const remove = (index: number) => onChange(value.filter((_, i) => i !== index));
  const add = () => onChange([...value, { source: '$.', target: '', type: 'string', required: false }]);

  return (
    <Stack gap="xs">
      {value.length === 0 ? (
        <Text c="dimmed" size="sm">
          No mappings: every top-level field becomes a column with an inferred type. Test the connection to start from its inferred schema.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table data-testid="mapping-editor" verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Source (JSONPath)</Table.Th>
                <Table.Th>Column</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Required</Table.Th>
                {!readOnly && <Table.Th />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {value.map((row, i) => (
                <Table.Tr key={i}>
                  <Table.Td>
                    <TextInput
                      aria-label={`Source of mapping ${i + 1}`}
                      value={row.source}
                      readOnly={readOnly}
                      onChange={(e) => set(i, { source: e.currentTarget.value })}
                      error={errorFor(`fieldMappings.${i}.source`)}
                      styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                    />
                  </Table.Td>
                  <Table.Td>
                    <TextInput
                      aria-label={`Column of mapping ${i + 1}`}
                      value={row.target}
                      readOnly={readOnly}
                      onChange={(e) => set(i, { target: e.currentTarget.value })}
                      error={errorFor(`fieldMappings.${i}.target`)}
                    />
                  </Table.Td>
                  <Table.Td>
                    <NativeSelect
                      aria-label={`Type of mapping ${i + 1}`}
                      data={[...COLUMN_TYPES]}
                      value={row.type}
                      disabled={readOnly}
                      onChange={(e) => set(i, { type: e.currentTarget.value as MappingRow['type'] })}
                      error={errorFor(`fieldMappings.${i}.type`)}
                    />
                  </Table.Td>
                  <Table.Td>
                    <Checkbox
                      aria-label={`Mapping ${i + 1} is required`}
                      checked={row.required}
                      disabled={readOnly}
                      onChange={(e) => set(i, { required: e.currentTarget.checked })}
                    />
                  </Table.Td>
                  {!readOnly && (
                    <Table.Td>
                      <ActionIcon variant="subtle" color="red" aria-label={`Remove mapping ${i + 1}`} onClick={() => remove(i)}>
                        ✕
                      </ActionIcon>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {!readOnly && (
        <Group>
          <Button variant="default" size="xs" onClick={add}>
            Add mapping
          </Button>
          {schema && schema.length > 0 && (
            <Button variant="subtle" size="xs" onClick={() => onChange(mappingsFromSchema(schema, sample))}>
              Reset from inferred schema
            </Button>
          )}
          {value.length > 0 && (
            <Button variant="subtle" size="xs" color="gray" onClick={() => onChange([])}>
              Clear (map every field automatically)
            </Button>
          )}
        </Group>
      )}
    </Stack>
  );
}
