import { DomainError, idForMessage } from '../common/errors';

/** How to send a key, for every 401. */
export const HOW_TO_SEND_A_KEY =
  "send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>' " +
  '(an admin creates one with `node dist/cli.js keys create --tenant <tenant> --role <admin|write|read>`)';

/** No key, a malformed one, or one that is unknown or revoked. */
export class Unauthenticated extends DomainError {
  readonly status = 401;
  constructor(reason: string) {
    super(`${reason}: ${HOW_TO_SEND_A_KEY}`);
  }
}

/** A valid key whose role (or tenant) does not allow the request. */
export class Forbidden extends DomainError {
  readonly status = 403;
}

/** No key with that id or prefix in the caller's tenant. */
export class ApiKeyNotFound extends DomainError {
  readonly status = 404;
  constructor(reference: string) {
    super(`no API key ${idForMessage(reference)} (give its id or its prefix, as GET /keys lists them)`);
  }
}
