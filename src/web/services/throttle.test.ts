import { describe, expect, it } from 'vitest';
import { createLoginThrottle } from './throttle.js';

describe('login throttle', () => {
  it('refuses after five failures within the window, and forgets after it', () => {
    const t = createLoginThrottle({ maxFailures: 5, windowMs: 60_000 });
    const keys = ['login:ivanov', 'ip:127.0.0.1'];
    for (let i = 0; i < 5; i++) {
      expect(t.allowed(keys, 1000 + i)).toBe(true);
      t.failed(keys, 1000 + i);
    }
    expect(t.allowed(keys, 2000)).toBe(false);
    expect(t.allowed(['login:petrova'], 2000)).toBe(true);
    expect(t.allowed(keys, 62_000)).toBe(true);
  });

  it('a success clears the count', () => {
    const t = createLoginThrottle({ maxFailures: 2 });
    t.failed(['login:a'], 1);
    t.succeeded(['login:a']);
    t.failed(['login:a'], 2);
    expect(t.allowed(['login:a'], 3)).toBe(true);
  });
});
