/**
 * The CLI's only way to print. Results go to stdout (plain text, or JSON with
 * `--json`); messages and errors go to stderr so stdout stays pipeable.
 */
export interface Output {
  readonly json: boolean;
  /** The command's result: `text` for people, `data` for `--json`. */
  result(text: string, data: unknown): void;
  /** A line for people on stderr (not shown with --json unless it is a warning). */
  info(text: string): void;
  warn(text: string): void;
  /** An error on stderr; with `--json`, as `{"error": {"code", "message"}}` like the HTTP API. */
  error(text: string, code?: string): void;
}

export function createOutput(options: { json: boolean }, streams = { out: process.stdout, err: process.stderr }): Output {
  const line = (stream: NodeJS.WritableStream, text: string) => stream.write(text.endsWith('\n') ? text : `${text}\n`);
  return {
    json: options.json,
    result(text, data) {
      line(streams.out, options.json ? JSON.stringify(data, null, 2) : text);
    },
    info(text) {
      if (!options.json) line(streams.err, text);
    },
    warn(text) {
      line(streams.err, `warning: ${text}`);
    },
    error(text, code = 'internal') {
      line(streams.err, options.json ? JSON.stringify({ error: { code, message: text } }) : `error: ${text}`);
    },
  };
}
