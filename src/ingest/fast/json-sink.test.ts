import { describe, expect, it } from 'vitest';
import { readFile, readFileWithSink } from '../../connectors/file/index.js';
import { CsvJsonSink } from './json-sink.js';

async function* bytes(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text, 'utf8');
}

describe('CsvJsonSink', () => {
  it('writes the JSON text JSON.stringify writes for the records the reader makes, in segments', async () => {
    const rows = [
      'id,"Odd ""Key""",note',
      '1,plain,',
      '2,"quoted, ""doubled""",""',
      '3,"line\nbreak\ttab\\back",\u0001ctrl',
      '4,café 東京 😀,\u2028sep',
      '5,"",x',
    ];
    const text = `${rows.join('\n')}\n`;
    const records: { rowNumber: number; data: unknown }[] = [];
    for await (const batch of readFile(bytes(text), { quotedEmpty: 'empty' })) records.push(...batch.records);

    const sink = new CsvJsonSink({ segmentRows: 2 });
    const reader = readFileWithSink(bytes(text), { quotedEmpty: 'empty' }, sink);
    for await (const batch of reader) expect(batch.records).toEqual([]);
    const segments = sink.take(true);
    expect(segments.map((s) => s.rowNumbers)).toEqual([[1, 2], [3, 4], [5]]);
    expect(segments.map((s) => s.json.toString('utf8'))).toEqual([
      JSON.stringify(records.slice(0, 2).map((r) => r.data)),
      JSON.stringify(records.slice(2, 4).map((r) => r.data)),
      JSON.stringify(records.slice(4).map((r) => r.data)),
    ]);
    expect(reader.summary.records).toBe(5);
  });

  it('declines every row when disabled (a raw store without writeJsonBatch)', async () => {
    const sink = new CsvJsonSink({ enabled: false });
    const records = [];
    for await (const batch of readFileWithSink(bytes('a,b\n1,2\n3,4\n'), {}, sink)) records.push(...batch.records);
    expect(records).toHaveLength(2);
    expect(sink.take(true)).toEqual([]);
  });
});
