/** Dify's error envelope `{code, message, status}`, as a throwable. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { code: string; message: string; status: number } {
    return { code: this.code, message: this.message, status: this.status };
  }
}

export const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer realm="api"' });
export const invalidParam = (message: string) => new ApiError(400, 'invalid_param', message);
export const notFound = (message = 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.') =>
  new ApiError(404, 'not_found', message);
export const internalError = () =>
  new ApiError(500, 'internal_server_error', 'The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.');

/** Pydantic's text for one field error, as Dify 1.11+ returns it in `message`. */
export function pydanticError(model: string, field: string, detail: string): ApiError {
  return invalidParam(`1 validation error for ${model}\n${field}\n  ${detail}`);
}
