/**
 * Errors are values with a stable code a user (or a program) can act on, and, where one input is to
 * blame, the name of the field. Throw them, or return them inside a Result; never swallow them.
 */
export class EdgewardError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: { field?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EdgewardError';
    this.code = code;
    this.field = options.field;
    this.details = options.details ?? {};
  }

  toJSON(): { code: string; message: string; field?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(Object.keys(this.details).length ? { details: this.details } : {}),
    };
  }
}

export type Result<T, E = EdgewardError> = { ok: true; value: T } | { ok: false; error: E };
export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

export function isEdgewardError(e: unknown): e is EdgewardError {
  return e instanceof EdgewardError;
}
