import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type ExecutionResult, type FormattedExecutionResult } from "graphql";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import WebSocket from "ws";

export type Result<R> = FormattedExecutionResult<R> & { status: number };

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** Runs a typed operation over HTTP POST (real fetch, or yoga.fetch for in-process tests). */
export async function execute<R, V>(
  endpoint: string,
  document: TypedDocumentNode<R, V>,
  variables?: V,
  options: { fetch?: Fetch; headers?: Record<string, string> } = {},
): Promise<Result<R>> {
  const doFetch: Fetch = options.fetch ?? fetch;
  const response = await doFetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...options.headers },
    body: JSON.stringify({ query: print(document), variables: variables ?? {} }),
  });
  const text = await response.text();
  let body: FormattedExecutionResult<R>;
  try {
    body = JSON.parse(text) as FormattedExecutionResult<R>;
  } catch {
    throw new Error(`HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 300)}`);
  }
  return { ...body, status: response.status };
}

/** The data of a result that must have no errors; otherwise throws with the errors in the message. */
export function expectNoGraphQLErrors<R>(result: FormattedExecutionResult<R>): R {
  if (result.errors?.length) throw new Error(`unexpected GraphQL errors: ${JSON.stringify(result.errors)}`);
  if (!result.data) throw new Error("result has no data");
  return result.data;
}

/** Sends raw text (for malformed requests) and returns the HTTP status and the body text. */
export async function postRaw(
  endpoint: string,
  body: string,
  accept = "application/graphql-response+json",
  fetchImpl: Fetch = fetch,
): Promise<{ status: number; body: string }> {
  const response = await fetchImpl(endpoint, { method: "POST", headers: { "content-type": "application/json", accept }, body });
  return { status: response.status, body: await response.text() };
}

export function createWebSocketClient(url: string): WsClient {
  return createWsClient({ url: url.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
}

export interface Subscription<R> {
  /** Resolves with the next event, rejecting after timeoutMs. */
  next(timeoutMs?: number): Promise<ExecutionResult<R>>;
  /** Ends the subscription (the client sends complete). */
  close(): Promise<void>;
}

function queue<R>(iterator: AsyncIterableIterator<ExecutionResult<R>>, onClose: () => void): Subscription<R> {
  return {
    async next(timeoutMs = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no subscription event within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const item = await Promise.race([iterator.next(), timeout]);
        if (item.done) throw new Error("subscription completed");
        return item.value;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      onClose();
      await iterator.return?.();
    },
  };
}

export function subscribeWs<R, V>(client: WsClient, document: TypedDocumentNode<R, V>, variables?: V): Subscription<R> {
  const iterator = client.iterate<R>({ query: print(document), variables: (variables ?? {}) as Record<string, unknown> });
  return queue(iterator as AsyncIterableIterator<ExecutionResult<R>>, () => {});
}

export function subscribeSse<R, V>(url: string, document: TypedDocumentNode<R, V>, variables?: V): Subscription<R> {
  const client = createSseClient({ url, retryAttempts: 0 });
  const iterator = client.iterate<R>({ query: print(document), variables: (variables ?? {}) as Record<string, unknown> });
  return queue(iterator as AsyncIterableIterator<ExecutionResult<R>>, () => client.dispose());
}
