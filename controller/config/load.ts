import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { configSchema, type Config } from './schema';
import { ConfigError } from '../errors';

/** "directorates[0].hours.weekly.mon" from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

export function parseConfig(text: string, file: string): Config {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new ConfigError(`${file}${line ? `:${line}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const result = configSchema.safeParse(doc.toJS());
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${fieldPath(i.path) || '(top level)'}: ${i.message}`);
    throw new ConfigError(`${file}: ${issues.join('; ')}`);
  }
  // a recording and a trunk's password file may be named relative to the configuration file
  for (const [key, wav] of Object.entries(result.data.recordings)) result.data.recordings[key] = path.resolve(path.dirname(file), wav);
  for (const tr of result.data.trunks) if (tr.auth?.passwordFile) tr.auth.passwordFile = path.resolve(path.dirname(file), tr.auth.passwordFile);
  return result.data;
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseConfig(text, file);
}
