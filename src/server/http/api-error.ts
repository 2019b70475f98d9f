/** Dify's error envelope `{code, message, status}`, as a throwable. */
import type { ErrorEnvelope } from '../../protocol/index.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): ErrorEnvelope {
    // Dify's catch-all 500 handler writes its keys in another order than the envelope.
    if (this.code === 'unknown') return { message: this.message, code: this.code, status: this.status };
    return { code: this.code, message: this.message, status: this.status };
  }
}

export const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer realm="api"' });
export const invalidParam = (message: string) => new ApiError(400, 'invalid_param', message);
export const notFound = (
  message = 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
) => new ApiError(404, 'not_found', message);
/** What Dify answers for any exception it did not map (e.g. a JSON array body, a run id that is not a UUID). */
export const internalError = () => new ApiError(500, 'unknown', 'Internal Server Error');
/** Werkzeug's BadRequest, which Dify passes through for a body that is not JSON. */
export const badRequest = () => new ApiError(400, 'bad_request', 'The browser (or proxy) sent a request that this server could not understand.');

/** Pydantic 2.12's text for one field error, as Dify 1.11+ returns it in `message`. */
export function pydanticError(model: string, field: string, detail: string): ApiError {
  const type = /\[type=([a-z_]+)/.exec(detail)?.[1];
  const help = type ? `\n    For further information visit https://errors.pydantic.dev/2.12/v/${type}` : '';
  return invalidParam(`1 validation error for ${model}\n${field}\n  ${detail}${help}`);
}
