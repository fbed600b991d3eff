import { UsageError } from "../io.js";
import type { Diagnostic } from "../types.js";

/** A trace UsageError found after the inputs were read: carries their errors, to be shown first. */
export class TraceInputError extends UsageError {
  constructor(
    message: string,
    hint: string,
    readonly errors: Diagnostic[],
  ) {
    super(message, hint);
  }
}
