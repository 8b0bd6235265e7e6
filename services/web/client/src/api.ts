// JSON fetches against the web server's API. Failures are values, so callers can show the reason.

export type Fetched<T> = { ok: true; httpStatus: number; body: T } | { ok: false; httpStatus: number; code: string; message: string; body: unknown };

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<Fetched<T>> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store', signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    return { ok: false, httpStatus: 0, code: 'network', message: 'The dashboard server is not reachable', body: null };
  }
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.ok && body !== null) return { ok: true, httpStatus: res.status, body: body as T };
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return {
    ok: false,
    httpStatus: res.status,
    code: typeof error?.code === 'string' ? error.code : `http_${res.status}`,
    message: typeof error?.message === 'string' ? error.message : `The server answered ${res.status} ${res.statusText}`.trim(),
    body,
  };
}
