/**
 * Errors a user can act on. Every input problem names where it was found (file, line, column or
 * field) and what was expected; the CLI prints `message` and exits non-zero.
 */
export interface ErrorLocation {
  file?: string;
  line?: number; // 1-based
  column?: number; // 1-based
  field?: string; // JSON path or option name, e.g. "populations[1].size" or "--dt"
}

export class ConnfitError extends Error {
  readonly location: ErrorLocation;
  constructor(message: string, location: ErrorLocation = {}) {
    super(formatLocation(location) + message);
    this.name = 'ConnfitError';
    this.location = location;
  }
}

/** Bad data or bad options given by the user (exit code 2 in the CLI). */
export class InputError extends ConnfitError {
  constructor(message: string, location: ErrorLocation = {}) {
    super(message, location);
    this.name = 'InputError';
  }
}

function formatLocation(loc: ErrorLocation): string {
  const parts: string[] = [];
  if (loc.file) {
    let p = loc.file;
    if (loc.line !== undefined) p += `:${loc.line}`;
    if (loc.column !== undefined) p += `:${loc.column}`;
    parts.push(p);
  }
  if (loc.field) parts.push(loc.field);
  return parts.length ? parts.join(' ') + ': ' : '';
}

/** A zod issue path as the field of an ErrorLocation: ["populations", 1, "size"] → "populations[1].size". */
export function jsonPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const key of path) s += typeof key === 'number' ? `[${key}]` : (s ? '.' : '') + String(key);
  return s;
}
