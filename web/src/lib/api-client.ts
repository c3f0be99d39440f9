// The one HTTP client of the app: same-origin cookies, the CSRF header on
// unsafe methods, server errors turned into readable ApiError messages, and
// a 401 sent to the login page.

import type { ErrorBody } from './api/contract';
import { loginRedirect } from './login-redirect';

export const CSRF_COOKIE = 'orsa_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly currentHead?: string;

  constructor(status: number, code: string, message: string, currentHead?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.currentHead = currentHead;
  }
}

type UnauthorizedHandler = () => void;

let onUnauthorized: UnauthorizedHandler = () => {
  const login = loginRedirect(window.location.pathname, window.location.search);
  if (login) window.location.assign(login);
};

/** Replaces what happens when the server answers 401 (the router installs one). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

/** The CSRF token the server set in a readable cookie at login. */
export function readCsrfToken(cookies: string = document.cookie): string | undefined {
  for (const part of cookies.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    // "__Host-orsa_csrf" when ORSA is served over TLS.
    if (key === CSRF_COOKIE || key === `__Host-${CSRF_COOKIE}`) {
      const value = rest.join('=');
      return value ? decodeURIComponent(value) : undefined;
    }
  }
  return undefined;
}

/**
 * Whether the browser holds a session: the server sets the readable CSRF
 * cookie together with the (HttpOnly) session cookie and clears both at
 * logout, so without it a call can only answer 401.
 */
export function hasSessionCookie(cookies: string = document.cookie): boolean {
  return readCsrfToken(cookies) !== undefined;
}

/**
 * The error of a call that was not sent because there is no session; sends
 * the browser to the login page like a 401 from the server would.
 */
export function notLoggedIn(): ApiError {
  onUnauthorized();
  return new ApiError(401, 'unauthenticated', STATUS_TEXT[401]);
}

function isUnsafe(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
}

const STATUS_TEXT: Record<number, string> = {
  400: 'The request was not valid.',
  401: 'Please log in.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  409: 'Conflict with the current state.',
  413: 'Too large.',
  422: 'The input was rejected.',
  429: 'Too many requests; try again later.',
  500: 'The server failed.',
  502: 'The service is not reachable.',
  503: 'The server is unavailable; try again shortly.',
};

/**
 * An error body as parsed, before its fields are checked: the contract's
 * field names (`Error` in docs/api/openapi.yaml), values not yet trusted.
 */
interface ParsedErrorBody {
  error?: Partial<Record<keyof ErrorBody['error'], unknown>>;
}

function isErrorBody(value: unknown): value is ParsedErrorBody {
  return typeof value === 'object' && value !== null && 'error' in value;
}

/** Turns a failed response into an ApiError with the server's message. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = STATUS_TEXT[res.status] ?? `Request failed (HTTP ${res.status}).`;
  let currentHead: string | undefined;
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      const body: unknown = JSON.parse(text);
      if (isErrorBody(body) && body.error) {
        if (typeof body.error.code === 'string') code = body.error.code;
        if (typeof body.error.message === 'string' && body.error.message)
          message = body.error.message;
        if (typeof body.error.current_head === 'string') currentHead = body.error.current_head;
      }
    } catch {
      // Not JSON (a proxy page, plain text): keep a short plain-text message.
      if (text.length < 300 && !text.trimStart().startsWith('<')) message = text.trim();
    }
  }
  if (res.status === 429) {
    const retry = res.headers.get('Retry-After');
    if (retry && /^\d+$/.test(retry)) message = `${message} Try again in ${retry} s.`;
  }
  return new ApiError(res.status, code, message, currentHead);
}

export interface RequestOptions {
  method?: string;
  /** A JSON body (sets Content-Type). */
  json?: unknown;
  /** A raw body. */
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Do not redirect to the login page on 401 (login form, probes). */
  allowUnauthorized?: boolean;
  /** Resolve every HTTP answer, errors included (calls to deployed services). */
  raw?: boolean;
}

/** Sends a request; resolves the Response when it is 2xx, else throws ApiError. */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const method = (options.method ?? (options.json !== undefined ? 'POST' : 'GET')).toUpperCase();
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (isUnsafe(method)) {
    const csrf = readCsrfToken();
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Cannot reach the ORSA server. Check your connection.');
  }
  if (res.ok || options.raw) return res;
  const error = await errorFromResponse(res);
  if (res.status === 401 && !options.allowUnauthorized && !path.startsWith('/api/v1/auth/')) {
    onUnauthorized();
  }
  throw error;
}

/** A JSON API call; 204 resolves undefined. */
export async function apiJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await request(path, options);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A text API call (file contents, logs). */
export async function apiText(path: string, options: RequestOptions = {}): Promise<string> {
  const res = await request(path, { ...options, headers: { Accept: '*/*', ...options.headers } });
  return res.text();
}

/** Encodes a repository path for a URL, keeping the slashes. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The readable message of anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
