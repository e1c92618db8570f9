import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Reads fixtures/whatsapp/<dir>/<name> (the normalize table and the WhatsApp integration tests). */
export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/whatsapp');
export const fixture = (dir: 'green-api' | 'web', name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(FIXTURES, dir, name), 'utf8'));
export const fixtureNames = (dir: 'green-api' | 'web') =>
  readdirSync(path.join(FIXTURES, dir)).filter((f) => f.endsWith('.json'));
