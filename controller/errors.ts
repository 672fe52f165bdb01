// Every error class that crosses a module's boundary, in one place: what each means, and
// how the surfaces show it (the CLI's exit code, the API's HTTP status, the console's page)
// is decided by its class. Errors local to one function stay plain Errors.

// ---- bad input: the request is refused, nothing was changed (CLI exit 2, HTTP 400/404) --

/** a value the sysadmin or a client gave is not acceptable */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}

/** a usage error of ivrctl: one line on stderr, exit 2 */
export class UsageError extends ValidationError {}

/** the controller refused a request of ivrctl (its message says why) */
export class RefusedError extends ValidationError {}

/** the deployment config is not valid: the message names the field */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** a report's date range is not acceptable (order, length) */
export class ReportRangeError extends Error {
  override readonly name = 'ReportRangeError';
}

/** a closure asked for is not acceptable (unknown directorate, overlap...) */
export class ClosureRequestError extends Error {
  override readonly name = 'ClosureRequestError';
}

/** a closure's end time cannot be read */
export class ClosureTimeError extends Error {
  override readonly name = 'ClosureTimeError';
}

/** an action on a callback request (cancel, retry, reschedule) refused, with its HTTP status */
export class ActionError extends Error {
  override readonly name = 'ActionError';
  constructor(
    message: string,
    readonly status: 404 | 409 | 400 | 503,
  ) {
    super(message);
  }
}

// ---- a part we depend on is not there: try again later (exit 1, HTTP 503) ---------------

/** the write queue's view of the database */
export type StorageState = 'ok' | 'busy' | 'failing';

/** the database cannot take this write now (locked past the deadline, failing, overloaded) */
export class StorageUnavailable extends Error {
  override readonly name = 'StorageUnavailable';
  constructor(
    message: string,
    readonly state: StorageState | 'overloaded',
  ) {
    super(message);
  }
}

/** Asterisk refused an operation (its HTTP status) or could not be reached (status null). */
export class AriError extends Error {
  override readonly name = 'AriError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }

  /** the channel, bridge, playback or endpoint does not exist (any more) */
  get notFound(): boolean {
    return this.status === 404;
  }
}

/** the Asterisk Manager Interface refused an action or could not be reached */
export class AmiError extends Error {
  override readonly name = 'AmiError';
}

/** a channel we wait on has hung up */
export class ChannelGone extends Error {
  override readonly name = 'ChannelGone';
  constructor(readonly channelId: string) {
    super(`channel ${channelId} is gone`);
  }
}

/** nothing answers at the controller's address (ivrctl: exit 1, unless it has a fallback) */
export class ControllerDownError extends Error {}
