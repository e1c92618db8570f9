import { expect } from 'vitest';
import type { MessageCommunication } from '../../src/core/communication.js';
import type { NormalizeResult } from '../../src/core/normalize.js';

/** Table-test helpers for a channel's pure normalize: `run` a stored payload, or expect `only` one message. */
export function normalizedBy(
  normalize: (payload: unknown) => NormalizeResult,
  stored: (update: unknown) => unknown,
) {
  const run = (update: unknown) => {
    const r = normalize(stored(update));
    if (!r.ok) throw new Error(r.error);
    return r;
  };
  const only = (update: unknown) => {
    const r = run(update);
    expect(r.communications).toHaveLength(1);
    return r.communications[0] as MessageCommunication;
  };
  return { run, only };
}
