/**
 * ExportBook: the handles one object exported, so that it can end the one
 * it is shown and, when it closes, all of them. Every kind that exports
 * keeps one; the handle's fields come from the broker's ticket.
 */
import { ShmError } from './errors.js';
import { formatHandle, parseHandle, type HandleKind } from './handle.js';
import { native, type ExportTicket } from './native.js';
import { boolean, integerIn } from './validate.js';

const MAX_PID = 0x7fffffff;

/** `once` and `pid` of an export's options. */
export function exportPolicy(given: { once?: unknown; pid?: unknown }): { once: boolean; pid: number } {
  const once = boolean('options.once', given.once, false);
  const pid = given.pid === undefined ? 0 : integerIn('options.pid', given.pid, 1, MAX_PID);
  return { once, pid };
}

export class ExportBook {
  readonly #ids = new Map<string, bigint>();
  readonly #kind: HandleKind;
  readonly #owner: string;

  /** `owner` names the exporting object in messages ("this map"). */
  constructor(kind: HandleKind, owner: string) {
    this.#kind = kind;
    this.#owner = owner;
  }

  /** The handle string of an export the broker just made, kept for revocation. */
  record(ticket: ExportTicket, size: number, readOnly: boolean): string {
    const handle = formatHandle({ kind: this.#kind, pid: ticket.pid, broker: ticket.nonce, id: ticket.id, size, readOnly, secret: ticket.secret });
    this.#ids.set(handle, ticket.id);
    return handle;
  }

  /**
   * Ends a handle of this book: importing it fails with ERR_HANDLE_REVOKED
   * from then on. False if it had already ended (revoked, or used up by a
   * `once` import); ERR_HANDLE_INVALID for one it does not hold.
   */
  revoke(handle: string): boolean {
    parseHandle(handle);
    const id = this.#ids.get(handle);
    if (id === undefined) throw new ShmError('ERR_HANDLE_INVALID', `The handle was not exported by ${this.#owner}`);
    return native().revokeExport(id);
  }

  /** Ends every handle of this book. */
  revokeAll(): void {
    for (const id of this.#ids.values()) native().revokeExport(id);
  }
}
