// The HTTP client of the web UI: same-origin fetch to /api/v1 only, JSON in
// and out, errors as ApiError carrying the server's CV- code and message.
// The bearer token comes from session.js (memory only).

/** An error answer of the API (`{"error":{"code","message"}}`) or a network failure. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let tokenSource = () => null;
let onSessionEnded = () => {};

/** Tells the client where the owner token lives and what to do when it stops working. */
export function configure({ token, sessionEnded }) {
  tokenSource = token;
  onSessionEnded = sessionEnded;
}

/** Codes that mean the owner session is gone: the UI locks. */
const SESSION_GONE = new Set(['CV-2002', 'CV-2003', 'CV-2004']);

/**
 * One API call. `body` is JSON unless it is a Blob/ArrayBuffer (`raw`).
 * Resolves to the parsed JSON answer (or null for an empty one).
 */
export async function api(method, path, { body, headers = {}, auth = true, raw = false } = {}) {
  const h = { ...headers };
  const token = auth ? tokenSource() : null;
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    if (raw) {
      payload = body;
      h['Content-Type'] = h['Content-Type'] || 'application/octet-stream';
    } else {
      payload = JSON.stringify(body);
      h['Content-Type'] = 'application/json';
    }
  }
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers: h, body: payload, credentials: 'omit', cache: 'no-store', redirect: 'error' });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.');
  }
  const textBody = await res.text();
  let data = null;
  if (textBody) {
    try { data = JSON.parse(textBody); } catch { data = null; }
  }
  if (!res.ok) {
    const code = data?.error?.code || `HTTP-${res.status}`;
    const message = data?.error?.message || `The server answered ${res.status}.`;
    const err = new ApiError(res.status, code, message);
    if (res.status === 401 && token && SESSION_GONE.has(code)) onSessionEnded(err);
    throw err;
  }
  return data;
}

/** Encodes one path segment. */
export const seg = (s) => encodeURIComponent(s);
