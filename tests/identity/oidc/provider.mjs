// A real OpenID Provider for the sign-in tests: node's oidc-provider with its development
// login pages (any password; the login name picks the account). Configured from the
// environment: PORT, OIDC_PROVIDER_ENTRY (path of oidc-provider's lib/index.js),
// OIDC_CLIENTS (JSON) and OIDC_ACCOUNTS_FILE (a JSON file of the accounts' claims, read again at
// every sign-in so that a test can change a profile). Prints "ready" once it listens.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const { default: Provider } = await import(pathToFileURL(process.env.OIDC_PROVIDER_ENTRY).href);

const port = Number(process.env.PORT);
const clients = JSON.parse(process.env.OIDC_CLIENTS);
const accountsOf = () => JSON.parse(readFileSync(process.env.OIDC_ACCOUNTS_FILE, 'utf8'));
const shortLived = new Set(clients.filter((c) => c.short_lived).map((c) => c.client_id));
for (const client of clients) delete client.short_lived;

const RESEARCH_CLAIMS = ['orcid', 'ror', 'affiliation', 'country', 'eduperson_entitlement'];

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients,
  scopes: ['openid', 'email', 'profile', 'research'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    research: RESEARCH_CLAIMS,
  },
  conformIdTokenClaims: false,
  cookies: { keys: ['accord-test-provider-cookie-key'] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  ttl: {
    IdToken: (ctx, token, client) => (shortLived.has(client.clientId) ? 1 : 3600),
  },
  async findAccount(ctx, id) {
    const accounts = accountsOf();
    if (!accounts[id]) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) };
  },
  // Consent is given once for all: the tests are about the Relying Party, not consent screens.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile research');
    grant.addOIDCClaims(['email', 'email_verified', 'name', ...RESEARCH_CLAIMS]);
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (ctx, error) => console.error('server_error', error));
provider.listen(port, '127.0.0.1', () => console.log('ready'));
