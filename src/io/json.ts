/**
 * The one reader of the JSON the user gives (fit files, populations, modes, coupling matrices, JSON
 * recordings): a syntax error is reported at file:line:column, which Node 20's JSON.parse does not give
 * (its messages carry a character position at best, often only a snippet). `parseWithSchema` checks the
 * parsed value against a file format's schema, with one wording for every format.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { InputError, jsonPath } from '../errors.js';
import { modelNames, modelsDirectory, resolveModelFile } from './models.js';

/**
 * Parse JSON text. `expected` describes what the text should be ("a fit file"); `file` or, for inline
 * JSON, `field` (the option) says where it came from.
 */
export function parseJson(text: string, expected: string, where: { file?: string; field?: string }): unknown {
  // A byte-order mark is not JSON but editors on Windows write one.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const { offset, reason } = syntaxError(body) ?? { offset: 0, reason: (err as Error).message };
    const before = body.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    // ErrorLocation prints line:column only after a file name; inline JSON says it in words.
    const at = where.file === undefined ? ` at line ${line}, column ${column}` : '';
    throw new InputError(`invalid JSON${at}: ${reason} (this should be ${expected})`, { ...where, ...(where.file !== undefined ? { line, column } : {}) });
  }
}

/**
 * Read and parse a JSON file, or a shipped model named like one (src/io/models.ts); a missing or
 * unreadable file is an InputError too.
 */
export function readJsonFile(arg: string, expected: string): unknown {
  const file = resolveModelFile(arg);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const models = modelNames();
    const named = /[\\/]/.test(arg) || models.length === 0 ? '' : ` (nor a model of that name in ${modelsDirectory()}: ${models.join(', ')})`;
    throw new InputError(code === 'ENOENT' ? `file not found${named}; expected ${expected}` : `cannot read the file (${(err as Error).message}); expected ${expected}`, { file });
  }
  return parseJson(text, expected, { file });
}

/**
 * Check parsed JSON against a file format's schema and return the parsed value; the first problem is an
 * InputError naming the file and the field. The formats users write are strict objects: an unknown key is
 * an error naming it and the keys allowed there, since a misspelt optional key ("sizee", "link") would
 * otherwise fall back to its default unnoticed. `format`, when given, ends the other messages.
 */
export function parseWithSchema<S extends z.ZodType>(schema: S, raw: unknown, where: { file?: string; field?: string }, format?: string): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [where.field, jsonPath(issue.path)].filter(Boolean).join(' ') || undefined;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `'${k}'`).join(', ');
    const allowed = keysAt(schema, issue.path);
    throw new InputError(`unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`, { file: where.file, field });
  }
  throw new InputError(issue.message + (format ? `; the format is ${format}` : ''), { file: where.file, field });
}

/** The keys of the object schema at a path of the value (through arrays, records and optional fields). */
function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let s: z.core.$ZodType | undefined = schema;
  let i = 0;
  while (s) {
    const def: z.core.$ZodTypes['_zod']['def'] = (s as z.core.$ZodTypes)._zod.def;
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default' || def.type === 'nonoptional' || def.type === 'readonly') s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else if (i === path.length) return def.type === 'object' ? Object.keys(def.shape) : undefined;
    else {
      const key = path[i++];
      if (def.type === 'object') s = def.shape[String(key)];
      else if (def.type === 'array') s = def.element;
      else if (def.type === 'record') s = def.valueType;
      else if (def.type === 'tuple') s = def.items[Number(key)] ?? def.rest ?? undefined;
      else return undefined;
    }
  }
  return undefined;
}

/**
 * Where and why text that JSON.parse rejected is not JSON: a scan of the grammar that stops at the
 * first error. Undefined if it finds none (JSON.parse then had its own reason).
 */
function syntaxError(text: string): { offset: number; reason: string } | undefined {
  let i = 0;
  const found = () => (i >= text.length ? 'the end of the file' : `'${text[i]}'`);
  class Stop {
    constructor(readonly reason: string) {}
  }
  const fail = (reason: string): never => {
    throw new Stop(reason);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        i++;
        if (text[i] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 5;
        else if (i < text.length && '"\\/bfnrt'.includes(text[i])) i++;
        else fail(`bad escape sequence in a string`);
      } else if (c < ' ') {
        fail('line break or control character inside a string (strings end with ")');
      } else i++;
    }
    fail('unterminated string');
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          space();
          if (text[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
          string();
          space();
          if (text[i] !== ':') fail(`expected ':' after the property name, found ${found()}`);
          i++;
        }
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail(`expected ',' or '${close}', found ${found()}`);
      }
    }
    if (c === '"') return string();
    const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    number.lastIndex = i;
    if (number.test(text)) {
      i = number.lastIndex;
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    fail(`expected a value (number, string, true, false, null, array or object), found ${found()}`);
  };
  try {
    value();
    space();
    if (i < text.length) fail(`unexpected ${found()} after the end of the JSON value`);
    return undefined;
  } catch (e) {
    if (e instanceof Stop) return { offset: i, reason: e.reason };
    throw e;
  }
}
