import { badInput } from "../errors.js";
import { hasUnstorableText } from "../text.js";

/**
 * Free-text arguments that reach SQL: bounded, and without characters PostgreSQL text cannot hold
 * (NUL, unpaired surrogates), which would otherwise surface as a database error.
 */
export function checkText(value: string, argument: string, maxLength: number): string {
  if (value.length > maxLength) throw badInput(`${argument} must be at most ${maxLength} characters`, argument);
  if (hasUnstorableText(value)) throw badInput(`${argument} must not contain NUL characters or unpaired surrogates`, argument);
  return value;
}
