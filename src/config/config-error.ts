export interface ConfigProblem {
  variable: string;
  message: string;
  value?: string | undefined;
}

/** Thrown when the environment is invalid; lists every bad variable. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(
      [
        `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems.map(
          (p) => `  - ${p.variable} ${p.message}${p.value !== undefined ? ` (got ${JSON.stringify(p.value)})` : ''}`,
        ),
      ].join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
