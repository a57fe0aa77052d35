/** An error that carries the HTTP status the API should answer with. */
export class HttpError extends Error {
  constructor(status, message, details) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    if (details !== undefined) this.details = details;
  }
}

export const badRequest = (message, details) => new HttpError(400, message, details);
export const notFound = (message = 'not found') => new HttpError(404, message);
export const conflict = (message, details) => new HttpError(409, message, details);
