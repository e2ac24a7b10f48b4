import { describe, expect, test } from 'vitest';
import { redactJson, redactValue } from './redact.ts';

describe('redact', () => {
  test('secret-looking keys and JWTs are replaced, the rest kept, the result still JSON', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const value = {
      access_token: 'abc',
      token: 'x"y',
      nested: { apiKey: 'k', password: 'p' },
      note: `url?t=${jwt}`,
      deviceId: 'phone-1',
      volume: 5,
    };
    const out = redactValue(value);
    expect(out).toEqual({
      access_token: '[redacted]',
      token: '[redacted]',
      nested: { apiKey: '[redacted]', password: '[redacted]' },
      note: 'url?t=[redacted]',
      deviceId: 'phone-1',
      volume: 5,
    });
  });

  test('text without anything secret is returned as is', () => {
    const text = JSON.stringify({ type: 'cluster.update', cluster: { devices: [] } });
    expect(redactJson(text)).toBe(text);
  });
});
