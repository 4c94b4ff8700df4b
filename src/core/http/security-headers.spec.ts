import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

import helmet, { type HelmetOptions } from 'helmet';

import { securityHeaders } from './security-headers';

function response(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()));
}

describe('securityHeaders', () => {
  const options: HelmetOptions = {
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  };

  it('are the headers helmet itself sets on a response', () => {
    const byHelmet = response();
    let passed = false;
    helmet(options)(byHelmet.req, byHelmet, () => (passed = true));
    expect(passed).toBe(true);

    const ours = response();
    for (const [name, value] of securityHeaders(options)) ours.setHeader(name, value);

    expect(ours.getHeaders()).toEqual(byHelmet.getHeaders());
    expect(Object.keys(ours.getHeaders())).toEqual(
      expect.arrayContaining(['content-security-policy', 'x-content-type-options']),
    );
    expect(ours.getHeader('content-security-policy')).not.toMatch(/upgrade-insecure-requests/);
  });

  it('refuses options whose headers depend on the request', () => {
    expect(() =>
      securityHeaders({
        contentSecurityPolicy: {
          directives: {
            scriptSrc: [
              "'self'",
              (_req, res) =>
                `'nonce-${(res as ServerResponse & { locals: { nonce: string } }).locals.nonce}'`,
            ],
          },
        },
      }),
    ).toThrow(/not static/);
  });
});
