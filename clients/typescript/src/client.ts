/**
 * The suite's typed client: openapi-fetch over the paths generated from the gateway's merged
 * OpenAPI document (`make client` writes src/schema.d.ts). Operations are addressed by path and
 * method, so a renamed operationId changes nothing here; a changed path, parameter or response
 * field fails `tsc`.
 */
import createClient, { type Client } from "openapi-fetch";

import type { paths } from "./schema.js";

export type { components, paths } from "./schema.js";

export type GuanweiClient = Client<paths>;

/** The JSON body a path's GET answers with 200. */
export type Ok<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { "application/json": infer Body } } } };
}
  ? Body
  : never;

export const DEFAULT_BASE_URL = "http://127.0.0.1:8000";

/** A client of the gateway at `baseUrl`, sending the citizen's bearer `token` when given. */
export function createGuanweiClient(baseUrl: string, token?: string): GuanweiClient {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  return createClient<paths>({ baseUrl: baseUrl.replace(/\/+$/, ""), headers });
}

/** The body of a successful answer, or an Error carrying the problem's status and detail. */
export function unwrap<T>(
  what: string,
  result: { data?: T; error?: unknown; response: Response },
): T {
  if (result.data !== undefined) {
    return result.data;
  }
  const problem = result.error as { detail?: unknown; title?: unknown } | undefined;
  const detail = problem?.detail ?? problem?.title ?? "";
  throw new Error(`${what}: HTTP ${result.response.status} ${String(detail)}`.trim());
}
