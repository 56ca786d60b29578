// Test-only OpenID Connect provider for Switchboard's integration tests, built on
// oidc-provider (a certified OP). It is never part of a deployment. See README.md.
//
//   node oidc.mjs --port 0 --client-id ID --client-secret SECRET --redirect-uri URI [--redirect-uri URI ...]
//
// First (and only) stdout line: `issuer=http://127.0.0.1:PORT`. Everything else goes to stderr.
// Exits when stdin reaches end-of-file (the test process that spawned it went away).

import { createServer } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';

import Provider from 'oidc-provider';
import {
  SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK,
} from 'jose';

// oidc-provider prints some notices with console.info (stdout); stdout is reserved for the issuer line.
console.log = console.info = (...args) => console.error(...args);
const log = (...args) => console.error('[test-idp]', ...args);

// ---- options: arguments, else environment -------------------------------------------------
function parseOptions(argv) {
  const env = process.env;
  const opts = {
    port: env.OIDC_PORT ?? '0',
    clientId: env.OIDC_CLIENT_ID ?? 'switchboard',
    clientSecret: env.OIDC_CLIENT_SECRET ?? 'switchboard-test-secret',
    redirectUris: (env.OIDC_REDIRECT_URIS ?? '').split(/[\s,]+/).filter(Boolean),
    watchStdin: true,
  };
  const fromArgs = [];
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      i += 1;
      return argv[i];
    };
    switch (flag) {
      case '--port': opts.port = value(); break;
      case '--client-id': opts.clientId = value(); break;
      case '--client-secret': opts.clientSecret = value(); break;
      case '--redirect-uri': fromArgs.push(value()); break;
      case '--ignore-stdin': opts.watchStdin = false; break;
      default: throw new Error(`unknown argument ${flag}`);
    }
  }
  if (fromArgs.length) opts.redirectUris = fromArgs;
  if (!opts.redirectUris.length) throw new Error('at least one --redirect-uri (or OIDC_REDIRECT_URIS) is needed');
  opts.port = Number(opts.port);
  return opts;
}

let opts;
try {
  opts = parseOptions(process.argv.slice(2));
} catch (err) {
  log(err.message);
  process.exit(2);
}

// ---- test state ---------------------------------------------------------------------------
const unverified = new Set(); // emails whose email_verified is false
const emailOf = new Map(); // account id -> the email it claims (an IdP whose users edit their email)
let mode = null; // id_token tampering, see tamper()
let down = false; // when true, every non-/__test request has its socket destroyed
const MODES = new Set([null, 'wrong_audience', 'wrong_nonce', 'expired', 'bad_signature', 'wrong_issuer']);

// One store for every Provider instance, so interactions, sessions, codes and grants survive a
// key rotation (which builds a new Provider). Minimal in-memory adapter, expiry on read.
const store = new Map();
class SharedMemoryAdapter {
  constructor(model) { this.model = model; }

  key(id) { return `${this.model}:${id}`; }

  static get(key) {
    const hit = store.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt && hit.expiresAt <= Date.now()) { store.delete(key); return undefined; }
    return hit.value;
  }

  static set(key, value, expiresIn) {
    store.set(key, { value, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : 0 });
  }

  async upsert(id, payload, expiresIn) {
    SharedMemoryAdapter.set(this.key(id), payload, expiresIn);
    if (this.model === 'Session') SharedMemoryAdapter.set(`sessionUid:${payload.uid}`, id, expiresIn);
    if (payload.userCode) SharedMemoryAdapter.set(`userCode:${payload.userCode}`, id, expiresIn);
    if (payload.grantId) {
      const members = SharedMemoryAdapter.get(`grant:${payload.grantId}`) ?? [];
      members.push(this.key(id));
      SharedMemoryAdapter.set(`grant:${payload.grantId}`, members);
    }
  }

  async find(id) { return SharedMemoryAdapter.get(this.key(id)); }

  async findByUid(uid) {
    const id = SharedMemoryAdapter.get(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = SharedMemoryAdapter.get(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = SharedMemoryAdapter.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { store.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    for (const key of SharedMemoryAdapter.get(`grant:${grantId}`) ?? []) store.delete(key);
    store.delete(`grant:${grantId}`);
  }
}

// ---- keys ---------------------------------------------------------------------------------
async function newSigningKey() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `test-${randomUUID()}`, alg: 'RS256', use: 'sig' };
}
let signingJwk = await newSigningKey();
let strangerKey = null; // for bad_signature: never in the JWKS
const cookieKeys = [randomBytes(32).toString('base64url')];

// ---- the provider -------------------------------------------------------------------------
const SCOPE = 'openid email profile';

function findAccount(ctx, id) {
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: emailOf.get(id) ?? id,
        email_verified: !unverified.has(id),
        name: id.split('@')[0],
      };
    },
  };
}

function buildProvider(issuer) {
  const provider = new Provider(issuer, {
    adapter: SharedMemoryAdapter,
    clients: [{
      client_id: opts.clientId,
      client_secret: opts.clientSecret,
      redirect_uris: opts.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      // oidc-provider accepts client_secret_post too for a client registered with _basic.
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    responseTypes: ['code'],
    scopes: ['openid', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false, // put the scope's claims into the id_token, not only /me
    pkce: { required: () => true }, // S256 is the only method oidc-provider 9 supports
    jwks: { keys: [signingJwk] },
    cookies: { keys: cookieKeys },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount,
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><title>Error</title><pre>${escapeHtml(JSON.stringify(out, null, 2))}</pre>`;
    },
  });

  provider.use(async (ctx, next) => {
    await next();
    if (mode && ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
      ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token) };
      log(`token response tampered: ${mode}`);
    }
  });
  provider.on('server_error', (ctx, err) => log('server_error', err));
  return provider;
}

async function tamper(idToken) {
  const header = decodeProtectedHeader(idToken);
  const claims = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'wrong_audience': claims.aud = 'someone-else'; break;
    case 'wrong_nonce': claims.nonce = randomBytes(16).toString('base64url'); break;
    case 'expired': claims.exp = now - 3600; claims.iat = now - 7200; break;
    case 'wrong_issuer': claims.iss = 'http://127.0.0.1:1/other'; break;
    case 'bad_signature': break;
    default: throw new Error(`unknown mode ${mode}`);
  }
  let key;
  if (mode === 'bad_signature') {
    strangerKey ??= (await generateKeyPair('RS256')).privateKey;
    key = strangerKey;
  } else {
    key = await importJWK(signingJwk, 'RS256');
  }
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

// ---- our interaction routes (login only; consent is granted with it) ----------------------
function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, error) {
  const action = `/interaction/${encodeURIComponent(uid)}/login`;
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Test IdP sign-in</title></head>
<body>
<h1>Test IdP</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="POST" action="${escapeHtml(action)}">
<label for="login">Email</label>
<input id="login" name="login" type="email" autofocus>
<button type="submit">Sign in</button>
</form>
</body></html>
`;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function grantFor(provider, accountId, clientId, grantId) {
  const grant = (grantId && await provider.Grant.find(grantId)) || new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(SCOPE);
  return grant.save();
}

// Returns true when it answered the request.
async function interaction(provider, req, res, url) {
  const m = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!m) return false;
  const uid = decodeURIComponent(m[1]);
  const details = await provider.interactionDetails(req, res); // needs the _interaction cookie
  if (details.uid !== uid) throw new Error('interaction uid does not match the cookie');
  const { prompt, params, session } = details;

  if (req.method === 'GET' && !m[2]) {
    if (prompt.name === 'consent') { // a session already exists: grant and go on
      log(`consent for ${session.accountId} granted without a page (${prompt.reasons.join(', ')})`);
      const grantId = await grantFor(provider, session.accountId, params.client_id, details.grantId);
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return true;
    }
    send(res, 200, 'text/html; charset=utf-8', loginPage(uid));
    return true;
  }
  if (req.method === 'POST' && m[2]) {
    const login = new URLSearchParams(await readBody(req)).get('login')?.trim();
    if (!login) {
      send(res, 400, 'text/html; charset=utf-8', loginPage(uid, 'Email is required'));
      return true;
    }
    const grantId = await grantFor(provider, login, params.client_id);
    log(`login ${login} (interaction ${uid})`);
    await provider.interactionFinished(req, res, {
      login: { accountId: login },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
    return true;
  }
  send(res, 405, 'text/plain', 'method not allowed');
  return true;
}

// ---- test control endpoints ---------------------------------------------------------------
async function control(req, res, url) {
  if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST only');
  const raw = await readBody(req);
  let body = {};
  if (raw.trim()) body = JSON.parse(raw);
  switch (url.pathname) {
    case '/__test/rotate': {
      signingJwk = await newSigningKey();
      current = buildProvider(issuer);
      handler = current.callback();
      log(`rotated: signing key is now ${signingJwk.kid}`);
      break;
    }
    case '/__test/unverified':
      if (typeof body.email !== 'string') return send(res, 400, 'application/json', '{"ok":false,"error":"email"}');
      if (body.verified === true) unverified.delete(body.email); else unverified.add(body.email);
      break;
    case '/__test/email':
      if (typeof body.account !== 'string' || typeof body.email !== 'string') return send(res, 400, 'application/json', '{"ok":false,"error":"account and email"}');
      emailOf.set(body.account, body.email);
      log(`account ${body.account} now claims ${body.email}`);
      break;
    case '/__test/mode':
      if (!MODES.has(body.mode ?? null)) return send(res, 400, 'application/json', '{"ok":false,"error":"mode"}');
      mode = body.mode ?? null;
      log(`mode ${mode}`);
      break;
    case '/__test/down':
      down = body.down === true;
      log(`down ${down}`);
      break;
    default:
      return send(res, 404, 'application/json', '{"ok":false,"error":"not found"}');
  }
  return send(res, 200, 'application/json', '{"ok":true}');
}

// ---- the server ---------------------------------------------------------------------------
let issuer;
let current; // the Provider in use; replaced on rotation
let handler;

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  try {
    if (url.pathname.startsWith('/__test/')) return await control(req, res, url);
    if (down) return req.socket.destroy();
    const provider = current;
    if (await interaction(provider, req, res, url)) return undefined;
    return handler(req, res);
  } catch (err) {
    log('error', req.method, url.pathname, err);
    if (!res.headersSent) send(res, err.statusCode ?? 500, 'text/plain', String(err.message ?? err));
    else res.end();
    return undefined;
  }
});

server.listen(opts.port, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  current = buildProvider(issuer);
  handler = current.callback();
  process.stdout.write(`issuer=${issuer}\n`);
  log(`listening, client ${opts.clientId}, redirect uris ${opts.redirectUris.join(' ')}`);
});

if (opts.watchStdin) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
