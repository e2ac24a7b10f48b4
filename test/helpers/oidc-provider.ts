import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

export type Alg = 'RS256' | 'ES256' | 'EdDSA';
type Role = 'device' | 'viewer' | 'admin';
type Payload = Record<string, unknown>;

export interface TestProvider extends AsyncDisposable {
  /** http://127.0.0.1:PORT, as the provider names itself in `iss` and discovery. */
  issuer: string;
  /** The resource (the hub) its access tokens are for. */
  audience: string;
  /** The public client the viewer signs in with (Authorization Code with PKCE). */
  viewerClientId: string;
  /**
   * A JWT access token for `user` from the provider's token endpoint (client credentials: the
   * client is named after the user, so `sub` is the user). `role` is asked for as a scope and
   * comes back in `handoff_role`; `edit` changes the claims just before the provider signs.
   */
  token(user: string, opts?: { role?: Role; alg?: Alg; edit?: (payload: Payload) => void }): Promise<string>;
  /** Change every token the provider signs from now on (those of browser sign-ins too); null stops. */
  editTokens(edit: ((payload: Payload) => void) | null): void;
  /** How many authorization requests (sign-ins started by a browser) it has answered. */
  authorizations(): number;
  /** The public signing keys the provider publishes now. */
  publicKeys(): JWK[];
  /** New signing keys; the old ones stay published unless `dropOld`. */
  rotate(opts?: { dropOld?: boolean }): Promise<void>;
  /** How often its JWKS was fetched. */
  jwksFetches(): number;
  /** While down, every request is answered 503 (the provider unreachable). */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

const USERS = ['alice', 'bob', 'ops', 'mallory'];
const ROLE_SCOPES = ['role:device', 'role:viewer', 'role:admin'];

/** Signing keys of one generation, with key ids that say which. */
async function keyGeneration(generation: number): Promise<JWK[]> {
  const kinds: Array<[Alg, Parameters<typeof generateKeyPair>[1]]> = [
    ['RS256', { modulusLength: 2048, extractable: true }],
    ['ES256', { extractable: true }],
    ['EdDSA', { crv: 'Ed25519', extractable: true }],
  ];
  return Promise.all(
    kinds.map(async ([alg, options]) => {
      const { privateKey } = await generateKeyPair(alg, options);
      return { ...(await exportJWK(privateKey)), kid: `${alg.toLowerCase()}-gen${generation}`, alg, use: 'sig' };
    }),
  );
}

/**
 * A real OpenID Provider (the certified `oidc-provider` package) on loopback, for one suite:
 * client-credentials clients named after test users, a public client for the viewer, JWT access
 * tokens for the hub's audience, and dev interactions (any login name signs in) for the browser.
 * Accounts whose name starts with `admin` get `handoff_role: admin`, others `viewer`.
 */
export async function startTestProvider(opts: { viewerRedirectUris?: string[]; port?: number } = {}): Promise<TestProvider> {
  const audience = 'urn:handoff:hub';
  const viewerClientId = 'handoff-viewer';
  let signWith: Alg = 'RS256';
  let edit: ((payload: Payload) => void) | null = null;
  let editAll: ((payload: Payload) => void) | null = null;
  let authorizations = 0;
  let down = false;
  let fetches = 0;
  let generation = 0;
  let keys = await keyGeneration(generation);
  let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null = null;

  const server = createServer((req, res) => {
    if (down || !handle) {
      res.writeHead(503).end();
      return;
    }
    if (req.url?.startsWith('/jwks')) fetches++;
    if (req.url?.startsWith('/auth?')) authorizations++;
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const configuration = (): Configuration => ({
    clients: [
      ...USERS.map((user) => ({
        client_id: user,
        client_secret: `secret-of-${user}`,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      })),
      {
        client_id: viewerClientId,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: opts.viewerRedirectUris ?? [],
      },
    ],
    jwks: { keys },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    ttl: { ClientCredentials: 300, AccessToken: 300, IdToken: 300, Interaction: 600, Session: 3600, Grant: 3600 },
    scopes: ['openid', ...ROLE_SCOPES],
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: ROLE_SCOPES.join(' '),
          audience,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: signWith } },
        }),
      },
    },
    // First-party viewer: no consent screen, the grant is made on sign-in.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(oidc.client!.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId! });
      grant.addOIDCScope('openid');
      grant.addResourceScope(audience, ROLE_SCOPES.join(' '));
      await grant.save();
      return grant;
    },
    extraTokenClaims: (_ctx, token) => {
      if ('accountId' in token && typeof token.accountId === 'string')
        return { handoff_role: token.accountId.startsWith('admin') ? 'admin' : 'viewer' };
      const asked = (token.scope ?? '').split(' ').find((s) => s.startsWith('role:'));
      return asked ? { handoff_role: asked.slice('role:'.length) } : undefined;
    },
    formats: {
      customizers: {
        jwt: (_ctx, _token, jwt) => {
          (edit ?? editAll)?.(jwt.payload);
        },
      },
    },
  });

  const build = () => {
    handle = new Provider(issuer, configuration()).callback();
  };
  build();

  const close = () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
  return {
    issuer,
    audience,
    viewerClientId,
    async token(user, t = {}) {
      signWith = t.alg ?? 'RS256';
      edit = t.edit ?? null;
      try {
        const res = await fetch(`${issuer}/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${user}:secret-of-${user}`).toString('base64')}`,
          },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            resource: audience,
            ...(t.role ? { scope: `role:${t.role}` } : {}),
          }),
        });
        const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
        if (!body.access_token)
          throw new Error(`the provider refused a token for ${user}: ${body.error} ${body.error_description}`);
        return body.access_token;
      } finally {
        edit = null;
      }
    },
    publicKeys: () =>
      keys.map((k) => {
        const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = k;
        return pub;
      }),
    async rotate(r = {}) {
      generation++;
      const fresh = await keyGeneration(generation);
      keys = r.dropOld ? fresh : [...fresh, ...keys];
      build();
    },
    editTokens: (e) => void (editAll = e),
    authorizations: () => authorizations,
    jwksFetches: () => fetches,
    setDown: (d) => void (down = d),
    close,
    [Symbol.asyncDispose]: close,
  };
}
