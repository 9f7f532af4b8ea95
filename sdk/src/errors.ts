/** Every non-2xx answer of the API, with the contract's `{error, code}` body. */
export class OrgHubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds, from `Retry-After` on 429/503. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'OrgHubError';
  }
}
