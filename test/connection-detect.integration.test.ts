import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpExtraction } from '../src/connectors/http/extract.js';
import type { ConnectionConfig } from '../src/connections/index.js';
import { describeEachDatabase } from './helpers/databases.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { startApiCorpus, type ApiCorpus, type CorpusStyle } from './fixtures/api-corpus.js';

interface Detection {
  proposal: Record<string, unknown> & { apiConfig: Record<string, unknown> & { pagination: { type: string }; recordsPath?: string; auth: Record<string, unknown> } };
  findings: Record<string, { value: unknown; confidence: string; evidence: string[] }>;
  questions: { about: string; question: string; saw: string[] }[];
  sample: unknown[];
  requests: { url: string; status: number | null }[];
}

describeEachDatabase(
  'Detecting a connection from one address: the corpus',
  (fx) => {
    let t: TestApp;
    let corpus: ApiCorpus;
    let editor: { token: string };

    beforeAll(async () => {
      corpus = await startApiCorpus();
      t = await createTestApp(fx);
      editor = await t.orgWithUser('acme', 'editor');
    });
    afterAll(async () => {
      await t?.close();
      await corpus?.close();
    });

    const detect = async (style: CorpusStyle) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/connections/detect',
        headers: bearer(editor.token),
        payload: { url: `${corpus.url}${style.path}`, method: style.method ?? 'GET', ...(style.body ? { body: style.body } : {}), ...(style.auth ? { auth: style.auth } : {}) },
      });
      expect(res.statusCode, `${style.name}: ${res.body}`).toBe(200);
      return res.json<Detection>();
    };

    /** Reads every record the proposal reads, the way a run would. */
    const readAll = async (proposal: Detection['proposal'], style: CorpusStyle) => {
      const config = t.services.connections.parse({ ...proposal, apiConfig: { ...proposal.apiConfig, auth: style.auth ?? { type: 'none' } } }) as ConnectionConfig;
      const extraction = new HttpExtraction(config, { now: new Date(), lastRunAt: undefined, cursor: undefined }, t.services.sources.client, { maxPages: 20 });
      const ids: unknown[] = [];
      for await (const batch of extraction.batches()) for (const r of batch) ids.push((r as { id?: unknown; _id?: unknown }).id ?? (r as { _id?: unknown })._id);
      return ids;
    };

    it('detects at least 90 % of the styles right, asks about the rest, and is never silently wrong', async () => {
      const outcome = { right: [] as string[], wrong: [] as string[], asked: [] as string[] };
      const details: string[] = [];
      for (const style of corpus.styles) {
        const d = await detect(style);
        const pagination = d.findings.pagination!.value as { type: string } | null;
        const recordsPath = (d.findings.recordsPath!.value as string | null) ?? null;
        const asked = d.questions.some((q) => q.about === 'pagination' || q.about === 'recordsPath');
        let verdict: keyof typeof outcome;
        if (asked) verdict = 'asked';
        else if (style.expect !== 'ask' && style.expect(pagination, recordsPath)) verdict = 'right';
        else verdict = 'wrong';
        outcome[verdict].push(style.name);
        details.push(`${verdict.padEnd(5)} ${style.name}: records ${recordsPath ?? '(root)'}, pagination ${JSON.stringify(pagination)}${asked ? `; asked: ${d.questions.map((q) => q.question).join(' / ')}` : ''}`);

        if (verdict === 'right') {
          // The proposal is a working connection: saved as it is (secrets sent again), it reads every record once.
          const ids = await readAll(d.proposal, style);
          expect(ids.length, `${style.name} reads every record`).toBe(style.total);
          expect(new Set(ids).size, `${style.name} reads each record once`).toBe(style.total);
        }
      }
      const n = corpus.styles.length;
      const share = (k: keyof typeof outcome) => `${((outcome[k].length / n) * 100).toFixed(1)} %`;
      // The corpus report, printed for the issue: the share right, wrong and asked.
      process.stdout.write(`\nDetection corpus (${n} styles): right ${share('right')}, wrong ${share('wrong')}, asked ${share('asked')}\n${details.join('\n')}\n`);
      expect(n).toBeGreaterThanOrEqual(30);
      expect(outcome.wrong, 'silently wrong').toEqual([]);
      expect(outcome.right.length / n).toBeGreaterThanOrEqual(0.9);
    }, 120_000);
  },
  { kinds: ['pglite'] },
);
