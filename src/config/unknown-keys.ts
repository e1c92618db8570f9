import type { z } from 'zod';
import { unknownFieldMessage } from '../core/unknown-fields.js';

/** A setting the schema does not know, with the path to it and the message naming the nearest valid key. */
export interface UnknownKey {
  path: (string | number)[];
  message: string;
}

// zod's own definitions: enough of them to follow a value through wrappers, arrays, records and unions.
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  getter?: () => z.ZodType;
  catchall?: z.ZodType;
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;
const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Every key in `value` that `schema` does not declare, wherever it is: a misspelt section (`telefony:`) or a
 * misspelt field deep in a list (`teams.0.supervisr`). It follows the schema, so any section composed into the
 * config schema is covered without marking it strict.
 */
export function unknownKeys(schema: z.ZodType, value: unknown, path: (string | number)[] = []): UnknownKey[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'object': {
      if (!isObject(value) || !def.shape) return [];
      const known = Object.keys(def.shape);
      const open = def.catchall !== undefined && defOf(def.catchall).type !== 'never';
      return Object.entries(value).flatMap(([key, v]) => {
        const field = def.shape![key];
        if (field) return unknownKeys(field, v, [...path, key]);
        if (open) return unknownKeys(def.catchall!, v, [...path, key]);
        return [{ path: [...path, key], message: unknownFieldMessage(key, known, {}, 'setting') }];
      });
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return def.innerType ? unknownKeys(def.innerType, value, path) : [];
    case 'pipe':
      return def.in ? unknownKeys(def.in, value, path) : [];
    case 'lazy':
      return def.getter ? unknownKeys(def.getter(), value, path) : [];
    case 'array':
      return Array.isArray(value) && def.element
        ? value.flatMap((v, i) => unknownKeys(def.element!, v, [...path, i]))
        : [];
    case 'record':
      return isObject(value) && def.valueType
        ? Object.entries(value).flatMap(([k, v]) => unknownKeys(def.valueType!, v, [...path, k]))
        : [];
    case 'intersection':
      return [];
    case 'union': {
      // The option the value is meant for: the first that accepts it, else the one with the fewest unknown keys.
      const options = def.options ?? [];
      const fit = options.find((o) => o.safeParse(value).success);
      if (fit) return unknownKeys(fit, value, path);
      const candidates = options.map((o) => unknownKeys(o, value, path));
      return candidates.sort((a, b) => a.length - b.length)[0] ?? [];
    }
    default:
      return [];
  }
}
