/** HTTP-level helpers of the Bot API stand-in: errors, parameter parsing (JSON, multipart, urlencoded). */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error answer of the Bot API: `{ ok: false, error_code, description, parameters? }`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(`${code}: ${description}`);
  }

  body(): Record<string, unknown> {
    const body: Record<string, unknown> = { ok: false, error_code: this.code, description: this.description };
    if (this.parameters !== undefined) body['parameters'] = this.parameters;
    return body;
  }
}

/** Shorthand for a 400 "Bad Request: …" error. */
export function badRequest(what: string): ApiError {
  return new ApiError(400, `Bad Request: ${what}`);
}

/** A file part of a multipart request. */
export interface Upload {
  fileName: string;
  bytes: Buffer;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The parameters of one method call, with Telegram's lenient typing (numbers may come as strings). */
export class Params {
  constructor(
    readonly values: Record<string, unknown>,
    readonly uploads: ReadonlyMap<string, Upload> = new Map(),
  ) {}

  has(name: string): boolean {
    return this.values[name] !== undefined && this.values[name] !== null;
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return undefined;
  }

  /** Integer or float parameter; a non-numeric value answers 400 like Telegram. */
  number(name: string): number | undefined {
    const v = this.values[name];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw badRequest(`invalid ${name} specified`);
    return n;
  }

  bool(name: string): boolean {
    const v = this.values[name];
    return v === true || v === 'true' || v === 1 || v === '1';
  }

  /** A JSON-serialized parameter: objects pass through, strings are parsed. */
  json(name: string, what = 'JSON object'): unknown {
    const v = this.values[name];
    if (typeof v !== 'string') return v ?? undefined;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      throw badRequest(`can't parse ${what}`);
    }
  }

  /** The parameters as recorded in `calls`: uploads appear as `{ upload: fileName, size }`. */
  summary(): Record<string, unknown> {
    const out: Record<string, unknown> = { ...this.values };
    for (const [name, up] of this.uploads) out[name] = { upload: up.fileName, size: up.bytes.length };
    return out;
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/** Parses query string + body (JSON, multipart/form-data or urlencoded) into Params. */
export async function parseParams(contentType: string | undefined, body: Buffer, query: URLSearchParams): Promise<Params> {
  const values: Record<string, unknown> = {};
  const uploads = new Map<string, Upload>();
  for (const [k, v] of query) values[k] = v;
  const ct = (contentType ?? '').toLowerCase();
  if (body.length === 0) return new Params(values, uploads);
  if (ct.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      throw badRequest("can't parse JSON object");
    }
    if (!isRecord(parsed)) throw badRequest('JSON object expected');
    Object.assign(values, parsed);
  } else if (ct.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Request('http://standin.invalid/', {
        method: 'POST',
        headers: { 'content-type': contentType ?? '' },
        body,
      }).formData();
    } catch {
      throw badRequest("can't parse multipart/form-data request");
    }
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') values[name] = value;
      else uploads.set(name, { fileName: value.name, bytes: Buffer.from(await value.arrayBuffer()) });
    }
  } else if (ct.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) values[k] = v;
  }
  return new Params(values, uploads);
}

/** Writes a JSON answer unless the client already went away. */
export function sendJson(res: ServerResponse, status: number, body: unknown, statusMessage?: string): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
  if (statusMessage !== undefined) res.writeHead(status, statusMessage, headers);
  else res.writeHead(status, headers);
  res.end(text);
}
