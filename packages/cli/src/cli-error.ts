/** Exit codes: 0 success, 1 the command ran and found a problem (e.g. blocking issues), 2 bad input or usage. */
export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const;

/** An error the user can act on: printed without a stack trace, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.badInput,
  ) {
    super(message);
    this.name = "CliError";
  }
}
