/** The message of a thrown value: an Error's message, anything else (a string, a rejected non-Error) as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
