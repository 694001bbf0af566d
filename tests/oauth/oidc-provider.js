// oidc-provider.js: a real OpenID Connect provider (npm oidc-provider, OpenID-certified) on
// 127.0.0.1 for the OAuth tests. Prints "READY <port>" when it listens.
// One public native client (PKCE required, any loopback redirect), the device flow, revocation,
// refresh tokens that rotate. devInteractions: the login form accepts any password for alice and bob.
// SPDX-License-Identifier: GPL-3.0-or-later
'use strict';
const { default: Provider } = require('oidc-provider');

const accounts = {
  alice: { sub: 'alice', email: 'alice@example.org', email_verified: true, name: 'Alice Example' },
  bob: { sub: 'bob', email: 'bob@example.org', email_verified: true, name: 'Bob Example' },
};

const host = '127.0.0.1';
const server = require('http').createServer();
server.listen(0, host, () => {
  const port = server.address().port;
  const issuer = `http://${host}:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'perihelion',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      scope: 'openid profile email offline_access',
    }],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: { email: ['email', 'email_verified'], profile: ['name'] },
    async findAccount(ctx, id) {
      if (!accounts[id]) return undefined;
      return { accountId: id, async claims() { return accounts[id]; } };
    },
    ttl: { AccessToken: 3600, IdToken: 3600, DeviceCode: 600, RefreshToken: 86400 },
    loadExistingGrant: async (ctx) => {
      // Consent is given once per client and account, like a returning user.
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile email offline_access');
      await grant.save();
      return grant;
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`READY ${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
