import { describe, expect, it } from 'vitest';
import { createOriginPolicy } from '../../src/http/origins.js';

describe('origin policy (sockets and CORS)', () => {
  const none = createOriginPolicy({ allowedOrigins: [], publicUrl: undefined });

  it('lets requests without an Origin through (not a browser)', () => {
    expect(none.allows(undefined, 'chat.example.com')).toBe(true);
  });

  it('never trusts an Origin only because its host equals the Host header (DNS rebinding)', () => {
    expect(none.allows('http://evil.example:8080', 'evil.example:8080')).toBe(false);
    expect(none.allows('https://chat.example.com', 'chat.example.com')).toBe(false);
  });

  it('allows a page served by this server on a loopback host, same host and port only', () => {
    expect(none.allows('http://localhost:8080', 'localhost:8080')).toBe(true);
    expect(none.allows('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(none.allows('http://[::1]:8080', '[::1]:8080')).toBe(true);
    expect(none.allows('http://localhost:3000', 'localhost:8080')).toBe(false);
    expect(none.allows('http://127.0.0.1:8080', 'localhost:8080')).toBe(false);
  });

  it('allows PUBLIC_URL and ALLOWED_ORIGINS, and only those get CORS', () => {
    const p = createOriginPolicy({
      allowedOrigins: ['https://app.example.com'],
      publicUrl: 'https://chat.example.com/orghub',
    });
    expect(p.allows('https://chat.example.com', 'chat.example.com')).toBe(true);
    expect(p.allows('https://app.example.com', 'chat.example.com')).toBe(true);
    expect(p.allows('https://app.example.com/', 'chat.example.com')).toBe(true);
    expect(p.allows('https://other.example.com', 'chat.example.com')).toBe(false);
    expect(p.allows('null', 'chat.example.com')).toBe(false);
    expect(p.corsAllows('https://app.example.com')).toBe(true);
    expect(p.corsAllows('https://chat.example.com')).toBe(false);
    expect(p.corsAllows('https://other.example.com')).toBe(false);
  });

  it('"*" allows any origin', () => {
    const p = createOriginPolicy({ allowedOrigins: ['*'], publicUrl: undefined });
    expect(p.allows('https://anything.example', 'chat.example.com')).toBe(true);
    expect(p.corsAllows('https://anything.example')).toBe(true);
  });
});
