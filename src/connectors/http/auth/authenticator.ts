/**
 * Adds credentials to each request of a source. Strategy objects, one per
 * auth type (dlt's pattern), so the extractor never branches on the type.
 */
export interface OutgoingRequest {
  url: URL;
  headers: Record<string, string>;
}

export interface Authenticator {
  apply(request: OutgoingRequest, signal?: AbortSignal): Promise<void>;
  /**
   * Called when the source answers 401. Returns true when fresh credentials
   * were obtained and the request is worth one more try (an expired OAuth token).
   */
  refresh?(signal?: AbortSignal): Promise<boolean>;
  /** Names of query parameters that carry a secret, to mask in logs. */
  readonly secretQueryParams: string[];
}
