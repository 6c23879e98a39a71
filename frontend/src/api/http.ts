/** The one way the app talks to the API: same-origin fetch with the session cookie, CSRF header, and problems. */

/** The API's one error shape: {"type","title","status","detail","errors"}. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: Record<string, string[] | string>;
}

export class ApiError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.problem = problem;
  }

  get status(): number {
    return this.problem.status;
  }

  /** The messages about one field (or the request as a whole with "non_field_errors"), in plain words. */
  fieldErrors(field: string): string[] {
    const value = this.problem.errors?.[field];
    if (!value) return [];
    return Array.isArray(value) ? value.map(String) : [String(value)];
  }
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const loggedOutListeners = new Set<() => void>();

/** Called when any request answers 401: the session ended (or never started). */
export function onLoggedOut(listener: () => void): () => void {
  loggedOutListeners.add(listener);
  return () => loggedOutListeners.delete(listener);
}

export function csrfToken(): string {
  const match = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return match ? decodeURIComponent(match.slice("csrftoken=".length)) : "";
}

/** A query string from the defined values only; URLSearchParams encodes the '+' of an offset as %2B. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function problemOf(response: Response): Promise<Problem> {
  const fallback: Problem = {
    type: "http_error",
    title: response.statusText || "Error",
    status: response.status,
    detail: `The server answered ${response.status} ${response.statusText}.`.replace(" .", "."),
    errors: {},
  };
  try {
    const body = await response.json();
    if (body && typeof body === "object" && "status" in body) return { ...fallback, ...body, errors: body.errors ?? {} };
  } catch {
    // not JSON: a proxy error page, a crash; the fallback says what we know
  }
  return fallback;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Statuses besides 2xx whose JSON body is the answer (the health check answers 503 with its report). */
  acceptStatus?: number[];
  signal?: AbortSignal;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method)) headers["X-CSRFToken"] = csrfToken();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError({
      type: "network",
      title: "No connection",
      status: 0,
      detail: "The server cannot be reached. Check the network connection and try again.",
      errors: {},
    });
  }
  if (response.ok || options.acceptStatus?.includes(response.status)) {
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
  const problem = await problemOf(response);
  if (response.status === 401 && !path.endsWith("/auth/login/")) loggedOutListeners.forEach((listener) => listener());
  throw new ApiError(problem);
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>(path, { signal });
export const post = <T>(path: string, body?: unknown) => request<T>(path, { method: "POST", body: body ?? {} });
export const put = <T>(path: string, body: unknown) => request<T>(path, { method: "PUT", body });
export const patch = <T>(path: string, body: unknown) => request<T>(path, { method: "PATCH", body });
export const del = (path: string) => request<void>(path, { method: "DELETE" });

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** Every item of a limit/offset list (cameras, users, access entries are short lists). */
export async function getAll<T>(path: string, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  let next: string | null = path + (path.includes("?") ? "&" : "?") + "limit=1000";
  while (next) {
    const page: Page<T> = await get<Page<T>>(next, signal);
    items.push(...page.results);
    // `next` is absolute; keep it same-origin by taking only its path and query.
    next = page.next ? new URL(page.next, location.origin).pathname + new URL(page.next, location.origin).search : null;
  }
  return items;
}

/** The words to show for any error caught from the API or elsewhere. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.problem.detail || error.problem.title;
  if (error instanceof Error) return error.message;
  return String(error);
}
