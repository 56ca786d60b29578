// Test-only SAML 2.0 identity provider for Switchboard's integration tests; never used in production.
// Built on samlify (an implementation independent of our Rust SP). Usage: `node saml.mjs --port 0`;
// prints `idp=http://127.0.0.1:PORT` as its first stdout line, exits when stdin closes.
// Endpoints: GET /metadata, GET /sso (HTTP-Redirect AuthnRequest -> login form), POST /login
// (-> auto-POST form to the ACS), POST /__test/mode, GET /__test/initiate (IdP-initiated).
// POST /__test/mode {"mode": null|"wrong_audience"|"expired"|"unsigned"|"wrong_signature"|"wrapping"|
// "wrong_in_response_to"|"idp_initiated", "sign_response": bool} is sticky: it applies to every later
// response (from /login and /__test/initiate) until changed. By default only the Assertion is signed;
// sign_response: true signs the Response too (except in "wrapping", which always signs the Assertion only).
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import samlify from 'samlify';

const { IdentityProvider, ServiceProvider, SamlLib, Constants, setSchemaValidator } = samlify;
const BINDING = Constants.namespace.binding;
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const MODES = [null, 'wrong_audience', 'expired', 'unsigned', 'wrong_signature', 'wrapping',
  'wrong_in_response_to', 'idp_initiated'];

// samlify refuses to parse any message until a schema validator is set. This test IdP trusts its
// callers (our own test suite), so it accepts every document without XSD validation.
setSchemaValidator({ validate: async () => 'skipped: permissive test-only validator' });

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

// A fresh RSA key and self-signed certificate from the openssl CLI (PEM strings).
function keyPair(cn) {
  const dir = mkdtempSync(join(tmpdir(), 'saml-idp-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', `/CN=${cn}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const real = keyPair('test-idp');
const attacker = keyPair('attacker');

const state = { mode: null, signResponse: false };
const pending = new Map(); // our `req` form id -> { id, acs, issuer, relayState }
let base, entityID, idp, attackerIdp;

function makeIdp(pair) {
  return IdentityProvider({
    entityID,
    privateKey: pair.key,
    signingCert: pair.cert,
    wantAuthnRequestsSigned: false,
    nameIDFormat: [EMAIL_FORMAT],
    singleSignOnService: [{ Binding: BINDING.redirect, Location: `${base}/sso` }],
  });
}

// Any SP is accepted: samlify needs an SP entity, so one is made per response from the request.
const spFor = (issuer, acs, signResponse) => ServiceProvider({
  entityID: issuer,
  assertionConsumerService: [{ Binding: BINDING.post, Location: acs }],
  wantAssertionsSigned: true,
  wantMessageSigned: signResponse,
});

const iso = (offsetMs) => new Date(Date.now() + offsetMs).toISOString();
const MIN = 60_000;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// Fills samlify's login-response template. `inResponseTo: null` drops both InResponseTo attributes.
function fillTemplate(template, { acs, audience, inResponseTo, email, mode }) {
  const expired = mode === 'expired';
  const issueInstant = expired ? iso(-120 * MIN) : iso(0);
  const notOnOrAfter = expired ? iso(-60 * MIN) : iso(5 * MIN);
  const assertionId = `_${randomUUID()}`;
  let xml = SamlLib.replaceTagsByValue(template, {
    ID: `_${randomUUID()}`,
    AssertionID: assertionId,
    Destination: acs,
    InResponseTo: inResponseTo,
    Issuer: entityID,
    IssueInstant: issueInstant,
    StatusCode: Constants.StatusCode.Success,
    NameIDFormat: EMAIL_FORMAT,
    NameID: email,
    SubjectRecipient: acs,
    SubjectConfirmationDataNotOnOrAfter: notOnOrAfter,
    ConditionsNotBefore: expired ? iso(-121 * MIN) : iso(-1 * MIN),
    ConditionsNotOnOrAfter: notOnOrAfter,
    Audience: mode === 'wrong_audience' ? 'https://someone-else.example' : audience,
  });
  const authn = `<saml:AuthnStatement AuthnInstant="${issueInstant}" SessionIndex="${assertionId}">`
    + '<saml:AuthnContext><saml:AuthnContextClassRef>'
    + 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'
    + '</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>';
  const attrs = '<saml:AttributeStatement><saml:Attribute Name="email" '
    + 'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">'
    + `<saml:AttributeValue xsi:type="xs:string">${esc(email)}</saml:AttributeValue>`
    + '</saml:Attribute></saml:AttributeStatement>';
  xml = xml.replace('{AuthnStatement}', authn).replace('{AttributeStatement}', attrs);
  return { id: assertionId, context: xml };
}

// Builds the SAML Response XML (not base64) for one login, according to `mode`.
async function buildResponse({ acs, audience, inResponseTo, email, relayState }) {
  const mode = state.mode;
  if (mode === 'wrong_in_response_to') inResponseTo = '_not-a-request-we-sent';
  if (mode === 'idp_initiated') inResponseTo = null;
  const params = { acs, audience, inResponseTo, email, mode };
  if (mode === 'unsigned') {
    return fillTemplate(SamlLib.defaultLoginResponseTemplate.context, params).context;
  }
  const signer = mode === 'wrong_signature' ? attackerIdp : idp;
  // Wrapping: only the assertion is signed, otherwise the injection would break the Response signature.
  const sp = spFor(audience, acs, state.signResponse && mode !== 'wrapping');
  const { context } = await signer.createLoginResponse(sp, null, 'post', { email }, {
    relayState,
    customTagReplacement: (template) => fillTemplate(template, params),
  });
  const xml = Buffer.from(context, 'base64').toString('utf8');
  return mode === 'wrapping' ? injectWrappedAssertion(xml, email) : xml;
}

// XML signature wrapping: an unsigned copy of the signed Assertion (new ID, NameID and `email`
// attribute "attacker@<domain of email>", no ds:Signature) is inserted as the Response's child
// right before the signed Assertion, i.e. where a naive SP looks first. The signed one is intact.
function injectWrappedAssertion(xml, email) {
  const start = xml.indexOf('<saml:Assertion');
  const end = xml.indexOf('</saml:Assertion>') + '</saml:Assertion>'.length;
  if (start < 0 || end < start) throw new Error('no Assertion to wrap');
  const evilEmail = `attacker@${email.split('@').pop()}`;
  const evil = xml.slice(start, end)
    .replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/, '')
    .replace(/ ID="[^"]*"/, ` ID="_evil-${randomUUID()}"`)
    .replace(/(<saml:NameID[^>]*>)[^<]*(<\/saml:NameID>)/, `$1${esc(evilEmail)}$2`)
    .replace(/(<saml:AttributeValue[^>]*>)[^<]*(<\/saml:AttributeValue>)/g, `$1${esc(evilEmail)}$2`);
  return xml.slice(0, start) + evil + xml.slice(start);
}

function autoPostForm(acs, responseXml, relayState) {
  const saml = Buffer.from(responseXml, 'utf8').toString('base64');
  const relay = relayState ? `<input type="hidden" name="RelayState" value="${esc(relayState)}">` : '';
  return '<!doctype html><html><head><title>Signing in…</title></head><body>'
    + `<form method="post" action="${esc(acs)}">`
    + `<input type="hidden" name="SAMLResponse" value="${esc(saml)}">${relay}`
    + '<noscript><button type="submit">Continue</button></noscript></form>'
    + '<script>document.forms[0].submit()</script></body></html>';
}

const loginForm = (reqId) => '<!doctype html><html><head><title>Test IdP sign-in</title></head><body>'
  + '<form method="post" action="/login">'
  + `<input type="hidden" name="req" value="${esc(reqId)}">`
  + '<label for="email">Email</label> <input id="email" name="email" type="email" required>'
  + ' <button type="submit">Sign in</button></form></body></html>';

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const readBody = (req) => new Promise((resolve, reject) => {
  let data = '';
  req.setEncoding('utf8');
  req.on('data', (c) => { data += c; if (data.length > 1e6) req.destroy(); });
  req.on('end', () => resolve(data));
  req.on('error', reject);
});

async function handle(req, res) {
  const url = new URL(req.url, base);
  const q = url.searchParams;
  const route = `${req.method} ${url.pathname}`;
  if (route === 'GET /metadata') {
    return send(res, 200, idp.getMetadata(), 'application/samlmetadata+xml');
  }
  if (route === 'GET /sso') {
    if (!q.get('SAMLRequest')) return send(res, 400, 'missing SAMLRequest', 'text/plain');
    const query = Object.fromEntries(q);
    let extract;
    try {
      // The SP entity only matters for signature checks, which this IdP does not require.
      ({ extract } = await idp.parseLoginRequest(spFor('any-sp', `${base}/none`, false), 'redirect',
        { query, octetString: url.search.slice(1) }));
    } catch (e) {
      return send(res, 400, `bad SAMLRequest: ${e.message}`, 'text/plain');
    }
    const { id, assertionConsumerServiceUrl: acs } = extract.request ?? {}; // samlify camelCases attributes
    if (!id || !acs || !extract.issuer) {
      return send(res, 400, 'AuthnRequest needs ID, AssertionConsumerServiceURL and Issuer', 'text/plain');
    }
    const reqId = randomUUID();
    pending.set(reqId, { id, acs, issuer: extract.issuer, relayState: q.get('RelayState') ?? '' });
    return send(res, 200, loginForm(reqId));
  }
  if (route === 'POST /login') {
    const form = new URLSearchParams(await readBody(req));
    const p = pending.get(form.get('req') ?? '');
    const email = (form.get('email') ?? '').trim();
    if (!p) return send(res, 400, 'unknown or missing req', 'text/plain');
    if (!email) return send(res, 400, 'missing email', 'text/plain');
    const xml = await buildResponse({ acs: p.acs, audience: p.issuer, inResponseTo: p.id, email, relayState: p.relayState });
    return send(res, 200, autoPostForm(p.acs, xml, p.relayState));
  }
  if (route === 'POST /__test/mode') {
    let body;
    try { body = JSON.parse((await readBody(req)) || '{}'); } catch { return send(res, 400, 'bad JSON', 'text/plain'); }
    const mode = body.mode ?? null;
    if (!MODES.includes(mode)) return send(res, 400, `unknown mode ${mode}`, 'text/plain');
    state.mode = mode;
    if (typeof body.sign_response === 'boolean') state.signResponse = body.sign_response;
    return send(res, 200, JSON.stringify({ mode: state.mode, sign_response: state.signResponse }), 'application/json');
  }
  if (route === 'GET /__test/initiate') {
    const acs = q.get('acs'), audience = q.get('audience'), email = q.get('email');
    if (!acs || !audience || !email) return send(res, 400, 'need acs, audience and email', 'text/plain');
    const relayState = q.get('relay_state') ?? '';
    const xml = await buildResponse({ acs, audience, inResponseTo: null, email, relayState });
    return send(res, 200, autoPostForm(acs, xml, relayState));
  }
  return send(res, 404, 'not found', 'text/plain');
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`saml idp: ${e.stack ?? e}\n`);
    if (!res.headersSent) send(res, 500, String(e.message ?? e), 'text/plain');
    else res.end();
  });
});

server.listen(Number(arg('--port', '0')), '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}`;
  entityID = `${base}/metadata`;
  idp = makeIdp(real);
  attackerIdp = makeIdp(attacker);
  process.stdout.write(`idp=${base}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
