/**
 * Typed errors. Each one carries what a person needs to fix the problem (`hint`), so the CLI can
 * print one clear line instead of a stack trace, and the drill can tell "the environment is wrong"
 * (exit 2) from "the cluster misbehaved" (a FAIL verdict, exit 1).
 */
export class FlipdrillError extends Error {
  /** What to do about it, in one sentence. */
  readonly hint?: string;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Bad input: flags, configuration values. */
export class ConfigError extends FlipdrillError {}

/** No Docker engine reachable, or it could not be installed or started. */
export class DockerUnavailableError extends FlipdrillError {}

/** A host port flipdrill wants to publish on 127.0.0.1 is taken. */
export class PortInUseError extends FlipdrillError {}

/** A subnet flipdrill wants for its networks overlaps one that exists already. */
export class SubnetConflictError extends FlipdrillError {}

/** Building or importing an image failed. */
export class ImageBuildError extends FlipdrillError {}

/** The cluster did not come up, or is not in the state an operation needs. */
export class ClusterError extends FlipdrillError {}

/** A condition did not hold before its deadline. */
export class WaitTimeoutError extends FlipdrillError {}

/** Moving or fencing the floating endpoint failed. */
export class EndpointError extends FlipdrillError {}

/** The drill was interrupted (Ctrl-C, SIGTERM) before it could reach a verdict. */
export class DrillAbortedError extends FlipdrillError {}

/** One line for a person: the message, then the hint. */
export function describeError(error: unknown): string {
  if (error instanceof FlipdrillError) {
    return error.hint ? `${error.message} (${error.hint})` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
