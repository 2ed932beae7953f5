/**
 * The real Airflow that `.ci/run` starts (.ci/airflow/setup.sh writes these
 * variables to .ci/airflow/test.env). Tests against it use
 * `describe.runIf(AIRFLOW_TEST)`; in CI the variables are mandatory, so a
 * missing Airflow fails the run instead of skipping its tests.
 */
export interface AirflowTestSettings {
  apiUrl: string;
  username: string;
  password: string;
  /** The DAGs folder the dag-processor scans (on this machine). */
  dagsFolder: string;
  /** What Airflow's tasks see as SLUICE_API_URL / SLUICE_API_TOKEN. */
  sluiceApiUrl: string | undefined;
  sluiceApiToken: string | undefined;
}

function read(): AirflowTestSettings | undefined {
  const e = process.env;
  if (!e.AIRFLOW_TEST_API_URL) {
    if (e.CI) {
      throw new Error('AIRFLOW_TEST_API_URL must be set in CI: the Airflow tests run against a real Airflow (.ci/airflow/setup.sh)');
    }
    return undefined;
  }
  const missing = ['AIRFLOW_TEST_USERNAME', 'AIRFLOW_TEST_PASSWORD', 'AIRFLOW_TEST_DAGS_FOLDER'].filter((name) => !e[name]);
  if (missing.length > 0) throw new Error(`AIRFLOW_TEST_API_URL is set but ${missing.join(', ')} is not`);
  return {
    apiUrl: e.AIRFLOW_TEST_API_URL,
    username: e.AIRFLOW_TEST_USERNAME!,
    password: e.AIRFLOW_TEST_PASSWORD!,
    dagsFolder: e.AIRFLOW_TEST_DAGS_FOLDER!,
    sluiceApiUrl: e.AIRFLOW_TEST_SLUICE_API_URL,
    sluiceApiToken: e.AIRFLOW_TEST_SLUICE_API_TOKEN,
  };
}

export const AIRFLOW_TEST: AirflowTestSettings | undefined = read();

/** Polls `probe` until it returns something other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * The python of the Airflow 2.11 venv (.ci/airflow/setup-airflow2.sh), for
 * parsing DAG files with a real Airflow 2 DagBag; mandatory in CI.
 */
export const AIRFLOW2_PYTHON: string | undefined = process.env.AIRFLOW2_PYTHON;
if (!AIRFLOW2_PYTHON && process.env.CI) throw new Error('AIRFLOW2_PYTHON must be set in CI (.ci/airflow/setup-airflow2.sh)');

/** PATH and HOME for a child process that should see nothing else of this environment. */
export const basicEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME });
