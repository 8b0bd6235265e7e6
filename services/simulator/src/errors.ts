/**
 * The message of a thrown value. The simulator imports nothing of ours but the wire contract, so it keeps this
 * one line rather than importing `@confluence/logger`'s `errorMessage`.
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
