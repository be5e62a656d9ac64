// The Pagewright HTTP API (API.md) as the editor uses it. Every failure
// becomes an ApiError carrying what the API said (code, message, details,
// request id), so the user always sees something to act on.
import { clearToken, getToken } from "./auth";

const BASE = String(import.meta.env.VITE_PAGEWRIGHT_API ?? "").replace(/\/+$/, "");

export type ErrorDetail = { field?: string; message: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly requestId?: string,
    // The request that failed ("PUT /v1/pages/…/content"), for the user to report.
    public request?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type Reply<T> = { data: T; status: number; etag: string | null };

type Options = {
  body?: unknown;
  raw?: Blob;
  contentType?: string;
  headers?: Record<string, string>;
};

// Reads wait until the read model holds the editor's own last write
// (X-Pagewright-After), so a list or a reload right after a save shows it.
let lastPosition: string | null = null;

let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

export function apiUrl(path: string): string {
  return BASE + path;
}

async function send<T>(method: string, path: string, opts: Options = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (opts.raw) {
    body = opts.raw;
    headers["Content-Type"] = opts.contentType || "application/octet-stream";
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] = "application/json";
  }
  if (method === "GET" && lastPosition) headers["X-Pagewright-After"] = lastPosition;
  try {
    return await exchange<T>(method, path, headers, body);
  } catch (e) {
    if (e instanceof ApiError && !e.request) e.request = `${method} ${path}`;
    throw e;
  }
}

async function exchange<T>(method: string, path: string, headers: Record<string, string>, body?: BodyInit): Promise<Reply<T>> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), { method, headers, body });
  } catch (e) {
    throw new ApiError(0, "NETWORK", `The server could not be reached (${String(e)}). Is pagewright running?`);
  }
  const text = await res.text();
  let envelope: any = null;
  try {
    envelope = text ? JSON.parse(text) : null;
  } catch {
    envelope = null;
  }
  const requestId = res.headers.get("X-Request-Id") ?? undefined;
  if (!res.ok) {
    const err = envelope?.error;
    if (res.status === 401) {
      clearToken();
      onUnauthenticated();
    }
    if (err && typeof err.code === "string") {
      throw new ApiError(res.status, err.code, String(err.message ?? res.statusText), err.details ?? [], requestId);
    }
    throw new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 300) || res.statusText, [], requestId);
  }
  if (!envelope || envelope.success !== true) {
    throw new ApiError(res.status, "BAD_RESPONSE", "The server answered something that is not an API response.", [], requestId);
  }
  const data = envelope.data as T;
  const position = (data as any)?.position;
  if (typeof position === "string" && position) lastPosition = position;
  if (res.status === 202 && (data as any)?.commandId) {
    return (await waitForCommand((data as any).commandId)) as Reply<T>;
  }
  return { data, status: res.status, etag: res.headers.get("ETag") };
}

// A write the gateway did not see decided in time (202): poll its outcome.
async function waitForCommand(commandId: string): Promise<Reply<unknown>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await send<any>("GET", `/v1/commands/${encodeURIComponent(commandId)}`);
    if (r.data.status === "accepted") return r;
    if (r.data.status === "rejected") {
      const e = r.data.error ?? {};
      throw new ApiError(409, e.code ?? "REJECTED", e.message ?? "the command was refused", e.details ?? []);
    }
    if (Date.now() > deadline) {
      throw new ApiError(504, "TIMEOUT", `The server has not decided command ${commandId} after 30 s; reload to see whether it was applied.`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

export const api = {
  get: <T>(path: string) => send<T>("GET", path),
  post: <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
    send<T>("POST", path, { body: body ?? {}, headers }),
  put: <T>(path: string, body: unknown, headers?: Record<string, string>) => send<T>("PUT", path, { body, headers }),
  upload: <T>(path: string, file: Blob, contentType: string) => send<T>("POST", path, { raw: file, contentType }),
};

// The bytes of an asset (its content needs the token, so an <img> cannot
// fetch it itself) as a blob: URL, fetched once per asset.
const assetUrls = new Map<string, Promise<string>>();
// Where the upload of each asset landed in the log: its bytes are served from
// the read model, which may not have caught up yet right after the upload.
const assetPositions = new Map<string, string>();
export function rememberAssetPosition(assetId: string, position: string | undefined) {
  if (position) assetPositions.set(assetId, position);
}

export function assetObjectUrl(assetId: string): Promise<string> {
  let url = assetUrls.get(assetId);
  if (!url) {
    url = (async () => {
      const headers: Record<string, string> = {};
      const token = getToken();
      if (token) headers.Authorization = `Bearer ${token}`;
      const after = assetPositions.get(assetId);
      if (after) headers["X-Pagewright-After"] = after;
      const res = await fetch(apiUrl(`/v1/assets/${encodeURIComponent(assetId)}/content`), { headers });
      if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, `asset ${assetId} could not be loaded`);
      return URL.createObjectURL(await res.blob());
    })();
    url.catch(() => assetUrls.delete(assetId));
    assetUrls.set(assetId, url);
  }
  return url;
}

// --- The API's shapes, as far as the editor reads them. ---
export type Site = { siteId: string; name: string; subdomain: string; version?: number };
export type PageSummary = {
  pageId: string;
  siteId: string;
  slug: string;
  title: string;
  status: string;
  version: number;
};
export type Template = { templateId: string; name: string; description?: string; builtIn?: boolean };
export type CommandResult = {
  commandId: string;
  aggregateId: string;
  version: number;
  position: string | null;
  events: { type: string; seq: number }[];
  pageId?: string;
  siteId?: string;
  deploymentId?: string;
};
export type Deployment = {
  deploymentId: string;
  status: string;
  environment?: string;
  url?: string;
  log?: string[];
  counts?: Record<string, number>;
};
export type Asset = { assetId: string; position?: string; url: string; contentType: string; bytes: number; width?: number; height?: number; filename?: string };
export type Preview = { previewId: string; url: string; expiresAt: string };

// Lists answer an array (with pagination in the envelope).
export async function listAll<T>(path: string): Promise<T[]> {
  const r = await api.get<T[] | { items: T[] }>(path);
  return Array.isArray(r.data) ? r.data : (r.data?.items ?? []);
}
