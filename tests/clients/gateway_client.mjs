#!/usr/bin/node
// A client of comfygate written the way its users write theirs: Node's built-in fetch
// (undici), one keep-alive connection per user, strict about what comes back.
//
// It walks every route family (kernel, MSS-Login, SwarmUI, ComfyUI through comfy-proxy,
// model-download, Comfy Cloud) with a success and a refusal that carries a body, each refusal
// followed by another request on the same connection, and checks on every response: the
// status, a reason phrase (statusText) that belongs to it, X-Request-Id, no Transfer-Encoding
// (and no body) on 204/304, no body on HEAD, the JSON content type and shape, and that a
// keep-alive connection the server did not announce closing was not closed under the client
// (a desync or a silent close shows up as such a close).
//
// Configuration comes from the environment (see README.md next to this file). Exits 1 at the
// first failed check naming the route; prints "N passed, 0 failed" when all pass.

import dc from 'node:diagnostics_channel';
import { randomUUID } from 'node:crypto';

const REASONS = {
  200: ['OK'],
  201: ['Created'],
  202: ['Accepted'],
  204: ['No Content'],
  206: ['Partial Content'],
  302: ['Found'],
  304: ['Not Modified'],
  400: ['Bad Request'],
  401: ['Unauthorized'],
  403: ['Forbidden'],
  404: ['Not Found'],
  405: ['Method Not Allowed'],
  409: ['Conflict'],
  413: ['Content Too Large', 'Payload Too Large', 'Request Entity Too Large'],
  422: ['Unprocessable Content', 'Unprocessable Entity'],
  429: ['Too Many Requests'],
  500: ['Internal Server Error'],
  502: ['Bad Gateway'],
  503: ['Service Unavailable'],
};

// A keep-alive connection idle for less than this must not be closed unannounced (the gateway
// keeps them for http.keep_alive_seconds, 10 s by default; undici for 4 s), unless a
// Keep-Alive header says less.
const REUSE_WINDOW_MS = 2000;

// A 2x2 RGB PNG, made for this test.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4oaEBRAwQCgAhLgRhHuBtwgAAAABJRU5ErkJggg==',
  'base64');

class CheckFailed extends Error {}

// The socket each request went out on, and when each socket closed.
let currentSocket = null;
const closedAt = new WeakMap();
dc.subscribe('undici:client:sendHeaders', ({ socket }) => {
  currentSocket = socket;
  if (socket && !closedAt.has(socket)) {
    closedAt.set(socket, null);
    socket.once('close', () => closedAt.set(socket, Date.now()));
  }
});

// One keep-alive connection per user, like a requests.Session: an undici Agent limited to one
// connection per origin. Node's fetch takes an undici `dispatcher`; the Agent class is reached
// through the global dispatcher undici registers under this symbol at its first request.
function singleConnection() {
  const Agent = globalThis[Symbol.for('undici.globalDispatcher.1')]?.constructor;
  return Agent ? new Agent({ connections: 1 }) : undefined;
}

// How long an idle connection must stay open, shortened by a `Keep-Alive: timeout=N` hint
// (undici closes such a connection a second before N).
function reuseWindow(keepAlive) {
  const match = /timeout=(\d+)/.exec(keepAlive);
  return match ? Math.min(REUSE_WINDOW_MS, Number(match[1]) * 1000 - 1500) : REUSE_WINDOW_MS;
}

// undici itself closes the connection after a HEAD and after a request body on a method
// other than POST, PUT and PATCH, so those closes say nothing about the server.
function clientCloses(method, payload) {
  return method === 'HEAD' || (payload !== undefined && !['POST', 'PUT', 'PATCH'].includes(method));
}

// ---- shapes ------------------------------------------------------------------------------

const eq = (value) => ({ eq: value });
const oneOf = (...alternatives) => ({ oneOf: alternatives });

function show(value) {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.slice(0, 300);
}

function describe(spec) {
  if (typeof spec === 'string') return spec;
  if (spec && 'eq' in spec) return JSON.stringify(spec.eq);
  if (spec && 'oneOf' in spec) return spec.oneOf.map(describe).join(' or ');
  return Array.isArray(spec) ? 'array' : 'object';
}

// Fails unless `value` matches `spec`: a type name ('string', 'integer', 'number', 'boolean',
// 'object', 'array', 'null', 'any'), eq(v), oneOf(...), {key: spec} (those keys at least) or
// [spec] (an array whose items all match).
function checkShape(route, value, spec, where = 'body') {
  if (spec && typeof spec === 'object' && 'oneOf' in spec) {
    for (const alternative of spec.oneOf) {
      try {
        checkShape(route, value, alternative, where);
        return;
      } catch (error) {
        if (!(error instanceof CheckFailed)) throw error;
      }
    }
    throw new CheckFailed(`${route}: ${where} is ${show(value)}, expected ${describe(spec)}`);
  }
  if (spec && typeof spec === 'object' && 'eq' in spec) {
    if (JSON.stringify(value) !== JSON.stringify(spec.eq))
      throw new CheckFailed(`${route}: ${where} is ${show(value)}, expected ${describe(spec)}`);
    return;
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(value)) throw new CheckFailed(`${route}: ${where} is ${show(value)}, expected an array`);
    value.forEach((item, index) => checkShape(route, item, spec[0], `${where}[${index}]`));
    return;
  }
  if (spec && typeof spec === 'object') {
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new CheckFailed(`${route}: ${where} is ${show(value)}, expected an object`);
    for (const [key, inner] of Object.entries(spec)) {
      if (!(key in value)) throw new CheckFailed(`${route}: ${where} has no '${key}': ${show(value)}`);
      checkShape(route, value[key], inner, `${where}.${key}`);
    }
    return;
  }
  const matches = {
    string: typeof value === 'string',
    integer: Number.isInteger(value),
    number: typeof value === 'number',
    boolean: typeof value === 'boolean',
    object: value !== null && typeof value === 'object' && !Array.isArray(value),
    array: Array.isArray(value),
    null: value === null,
    any: true,
  }[spec];
  if (matches === undefined) throw new Error(`unknown shape ${spec}`);
  if (!matches) throw new CheckFailed(`${route}: ${where} is ${show(value)}, expected ${spec}`);
}

function ensure(route, condition, message) {
  if (!condition) throw new CheckFailed(`${route}: ${message}`);
}

// ---- one user ----------------------------------------------------------------------------

class Client {
  constructor(run, name, headers = {}) {
    this.run = run;
    this.name = name;
    this.headers = { ...headers };
    this.dispatcher = undefined; // made at this user's first request
    this.last = null; // {route, closing, end, socket} of this user's previous request
  }

  authorize(token) {
    this.headers.Authorization = `Bearer ${token}`;
  }

  // One request; checks the framing and `expect` ('json', 'empty', 'bytes', 'any') and, for
  // JSON, `shape`. Options: json, body (string, Buffer or FormData), headers, query. Returns
  // {route, response, status, headers, body (Buffer), json()}.
  async call(method, path, status, { json, body, headers = {}, query, expect = 'json', shape } = {}) {
    const route = `${method} ${path} [${this.name}]`;
    const url = new URL(this.run.base + path);
    for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
    const allHeaders = { ...this.headers, ...headers };
    let payload = body;
    if (json !== undefined) {
      payload = JSON.stringify(json);
      allHeaders['Content-Type'] = 'application/json';
    }
    this.dispatcher ??= singleConnection();
    let response;
    let bytes;
    try {
      response = await fetch(url, { method, headers: allHeaders, body: payload, redirect: 'manual',
        dispatcher: this.dispatcher });
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      const cause = error.cause ? ` (${error.cause.code ?? ''} ${error.cause.message ?? error.cause})` : '';
      const previous = this.last ? `; the previous request on this connection: ${this.last.route}` : '';
      throw new CheckFailed(`${route}: ${error.name}: ${error.message}${cause}${previous}`);
    }
    const reused = this.run.record(() => this.checkPreviousConnection(route));
    this.last = {
      route: `${route} -> ${response.status}`,
      closing: clientCloses(method, payload)
        || (response.headers.get('connection') ?? '').toLowerCase().includes('close'),
      end: Date.now(),
      socket: currentSocket,
      window: reuseWindow(response.headers.get('keep-alive') ?? ''),
    };

    const result = {
      route,
      response,
      status: response.status,
      headers: response.headers,
      body: bytes,
      json() {
        try {
          return JSON.parse(bytes.toString('utf8'));
        } catch {
          throw new CheckFailed(`${route}: the body is not JSON: ${bytes.toString('utf8').slice(0, 200)}`);
        }
      },
    };
    if (this.run.record(() => checkAnswer(result, method, status, expect, shape)) && reused) this.run.passed += 1;
    return result;
  }

  // The connection of this user's previous request must still be open unless its response
  // said Connection: close (or undici closes it itself) or it sat idle long enough for a
  // keep-alive timeout.
  checkPreviousConnection(route) {
    const { last } = this;
    if (!last || last.closing || !last.socket) return;
    const closed = closedAt.get(last.socket);
    if (closed != null && closed - last.end < last.window) {
      throw new CheckFailed(`${route}: the keep-alive connection of the previous request (${last.route}) was closed `
        + `${closed - last.end} ms after its response, which did not say Connection: close `
        + '(unread bytes on it, or a silent close: request framing desync?)');
    }
  }
}

function checkAnswer(result, method, status, expect, shape) {
  checkFraming(result, method, status);
  const { route, response, body } = result;
  if (expect === 'json') {
    const type = response.headers.get('content-type') ?? '';
    ensure(route, type.startsWith('application/json'), `Content-Type is '${type}', expected application/json`);
    const value = result.json();
    if (shape !== undefined) checkShape(route, value, shape);
  } else if (expect === 'empty') {
    ensure(route, body.length === 0, `expected an empty body, got ${show(body.toString('utf8'))}`);
  }
}

function checkFraming(result, method, status) {
  const { route, response, body } = result;
  ensure(route, response.status === status,
    `status ${response.status}, expected ${status}; body: ${body.toString('utf8').slice(0, 300)}`);
  const reasons = REASONS[status] ?? [];
  ensure(route, reasons.includes(response.statusText),
    `reason phrase '${response.statusText}' for status ${status}, expected ${reasons.map((r) => `'${r}'`).join(' or ')}`);
  ensure(route, response.headers.has('x-request-id'), 'no X-Request-Id header');
  const encoding = response.headers.get('transfer-encoding');
  if (status === 204 || status === 304) {
    ensure(route, encoding === null, `a ${status} must not carry Transfer-Encoding (got '${encoding}')`);
    ensure(route, (response.headers.get('content-length') ?? '0') === '0',
      `a ${status} with Content-Length ${response.headers.get('content-length')}`);
    ensure(route, body.length === 0, `a ${status} with a body`);
  }
  if (encoding !== null) ensure(route, !response.headers.has('content-length'), 'both Transfer-Encoding and Content-Length');
  if (method === 'HEAD') ensure(route, body.length === 0, `a body on HEAD: ${show(body.toString('utf8'))}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the walk ----------------------------------------------------------------------------

const LOGIN = { message: eq('Login successful'), jwt_token: 'string', redirect_url: 'string',
  expires_at: oneOf('integer', 'string') };
const ME = { username: 'string', user_id: oneOf('string', 'integer'), role: 'string', groups: ['string'],
  is_admin: 'boolean', is_owner: 'boolean', authenticated: eq(true), mfa_enabled: 'boolean', sfw_check: 'boolean',
  token_kind: 'string', permissions: ['string'], experimental_features: oneOf('object', 'array') };

function environment(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined) {
    console.error(`gateway_client.mjs: environment variable '${name}' is not set`);
    process.exit(2);
  }
  return value;
}

function cookieFrom(response, name) {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair.indexOf('=');
    if (pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return null;
}

class Run {
  constructor() {
    this.base = environment('GATEWAY_URL').replace(/\/+$/, '');
    this.user = environment('GATEWAY_USER');
    this.userPassword = environment('GATEWAY_USER_PASSWORD');
    this.admin = environment('GATEWAY_ADMIN');
    this.adminPassword = environment('GATEWAY_ADMIN_PASSWORD');
    this.apiToken = environment('GATEWAY_API_TOKEN');
    this.checkpoint = environment('GATEWAY_CHECKPOINT', 'sd15.safetensors');
    this.civitaiVersion = environment('GATEWAY_CIVITAI_VERSION', '1001');
    this.civitaiKey = environment('GATEWAY_CIVITAI_KEY', 'tok-ok');
    this.cloudSourceUrl = environment('GATEWAY_CLOUD_SOURCE_URL');
    this.passed = 0;
    this.failed = 0;
    // GATEWAY_KEEP_GOING=1: report every failed check and go on (a family whose steps cannot
    // go on is abandoned) instead of stopping at the first one.
    this.keepGoing = process.env.GATEWAY_KEEP_GOING === '1';
    this.tag = `node-${randomUUID().slice(0, 8)}`;
    this.anonymous = new Client(this, 'anonymous');
    this.alice = new Client(this, this.user);
    this.ada = new Client(this, this.admin);
    this.cloud = new Client(this, 'api token', { 'X-API-Key': this.apiToken });
    this.aliceId = null;
  }

  // Runs a check; true when it passed. A failure stops the run unless keepGoing.
  record(check) {
    try {
      check();
      return true;
    } catch (error) {
      if (!(error instanceof CheckFailed) || !this.keepGoing) throw error;
      this.failed += 1;
      console.error(`FAILED ${error.message}`);
      return false;
    }
  }

  async kernel() {
    const anon = this.anonymous;
    await anon.call('GET', '/healthz', 200, { shape: { status: eq('ok') } });
    await anon.call('HEAD', '/healthz', 200, { expect: 'empty' });
    await anon.call('GET', '/readyz', 200, { shape: { status: eq('ready') } });
    const spec = (await anon.call('GET', '/openapi.json', 200, { shape: { openapi: 'string', paths: 'object' } })).json();
    ensure('GET /openapi.json', spec.openapi.startsWith('3'), `openapi '${spec.openapi}'`);
    for (const path of ['/healthz', '/login', '/mss-login/api/me', '/prompt', '/api/assets/download'])
      ensure('GET /openapi.json', path in spec.paths, `no ${path} in paths`);
    await anon.call('HEAD', '/openapi.json', 200, { expect: 'empty' });
    for (const path of ['/healthz', '/prompt', '/mss-login/api/model-download/sources', '/API/GetNewSession',
      '/no/such/route'])
      await anon.call('OPTIONS', path, 200, { expect: 'empty' });
    // Refusals with a body, each followed by another request on the same connection.
    const refused = await anon.call('POST', '/healthz', 405, { json: { probe: 'x'.repeat(64) },
      shape: { error: 'string' } });
    ensure('POST /healthz', (refused.headers.get('allow') ?? '').includes('GET'),
      `Allow '${refused.headers.get('allow')}'`);
    await anon.call('GET', '/healthz', 200, { shape: { status: eq('ok') } });
    await anon.call('PUT', '/no/such/route', 404, { body: 'some bytes the server need not read',
      shape: { error: 'string' } });
    await anon.call('GET', '/readyz', 200, { shape: { status: eq('ready') } });
  }

  async auth() {
    const { alice, ada } = this;
    await alice.call('POST', '/login', 401, { json: { username: this.user, password: 'not the password' },
      shape: { error: eq('Invalid credentials') } });
    const login = await alice.call('POST', '/login', 200, { json: { username: this.user,
      password: this.userPassword }, shape: LOGIN });
    ensure('POST /login', cookieFrom(login.response, 'jwt_token'), 'no jwt_token cookie');
    alice.authorize(login.json().jwt_token);

    const form = await ada.call('POST', '/login', 200, {
      body: new URLSearchParams({ username: this.admin, password: this.adminPassword }), shape: LOGIN });
    ada.authorize(form.json().jwt_token);

    const me = (await alice.call('GET', '/mss-login/api/me', 200, {
      shape: { ...ME, username: eq(this.user), is_admin: eq(false) } })).json();
    this.aliceId = String(me.user_id);
    await ada.call('GET', '/mss-login/api/me', 200, { shape: { ...ME, username: eq(this.admin), is_admin: eq(true) } });
    await this.anonymous.call('GET', '/mss-login/api/me', 200, { shape: { authenticated: eq(false) } });

    // A user without can_have_api_tokens is refused; the connection carries on.
    await alice.call('POST', '/mss-login/generate_token', 403, { json: { label: this.tag },
      shape: { error: 'string' } });
    await alice.call('GET', '/mss-login/api/me', 200, { shape: { username: eq(this.user) } });

    const created = await ada.call('POST', '/mss-login/generate_token', 200, {
      json: { label: this.tag, expire_hours: 1 },
      shape: { message: eq('API token created.'), jwt_token: 'string', expires_in_hours: 'integer' } });
    const token = created.json().jwt_token;
    ensure('POST /mss-login/generate_token', token.startsWith('cgt_'), `token '${token.slice(0, 8)}'...`);
    const holder = new Client(this, 'new api token');
    holder.authorize(token);
    await holder.call('GET', '/mss-login/api/me', 200, { shape: { username: eq(this.admin),
      authenticated: eq(true) } });

    const tokens = (await ada.call('GET', '/mss-login/api/tokens', 200, { shape: { tokens: [{
      token_hash_prefix: 'string', label: 'string', created_iso: 'string', expires_iso: oneOf('string', 'null'),
      last_used_iso: oneOf('string', 'null') }] } })).json().tokens;
    const mine = tokens.filter((t) => t.label === this.tag);
    ensure('GET /mss-login/api/tokens', mine.length === 1, `${mine.length} tokens labelled ${this.tag}`);
    await ada.call('DELETE', '/mss-login/api/tokens', 404, { json: { token_hash_prefix: '0123456789abcdef' },
      shape: { error: 'string' } });
    await ada.call('DELETE', '/mss-login/api/tokens', 200, { json: { token_hash_prefix: mine[0].token_hash_prefix },
      shape: { message: eq('Token revoked.') } });
    await holder.call('GET', '/mss-login/api/tokens', 401, { shape: { error: 'string' } });

    // /logout ends the session it is called with.
    const leaving = new Client(this, `${this.user} (logout)`);
    const session = (await leaving.call('POST', '/login', 200, { json: { username: this.user,
      password: this.userPassword }, shape: LOGIN })).json().jwt_token;
    leaving.authorize(session);
    await leaving.call('GET', '/logout', 200, { shape: { message: eq('Logged out') } });
    await leaving.call('GET', '/mss-login/api/tokens', 401, { shape: { error: 'string' } });
  }

  async swarm() {
    const swarm = new Client(this, `${this.user} (SwarmUI)`);
    const login = await swarm.call('POST', '/API/Login', 200, { json: { username: this.user,
      password: this.userPassword }, shape: { success: eq('true') } });
    const cookie = cookieFrom(login.response, 'swarm_token');
    ensure('POST /API/Login', cookie, 'no swarm_token cookie');
    // A cookie-authenticated change needs this server's Origin.
    swarm.headers.Cookie = `swarm_token=${cookie}`;
    swarm.headers.Origin = this.base;
    const session = (await swarm.call('POST', '/API/GetNewSession', 200, { json: {}, shape: {
      session_id: 'string', user_id: eq(this.user), output_append_user: 'boolean', version: 'string',
      server_id: 'string', permissions: ['string'] } })).json();
    ensure('POST /API/GetNewSession', session.session_id.length === 40, 'session_id is not 40 characters');
    // The session_id is the credential from here on: a plain client, no cookie, names in any case.
    const api = new Client(this, `${this.user} (SwarmUI session)`);
    await api.call('POST', '/API/listmyauthtokens', 200, { json: { session_id: session.session_id },
      shape: { tokens: [{ id: 'string', created: 'number', last_active: 'number', user_agent: 'string',
        origin_address: 'string', is_current: 'boolean' }] } });
    await api.call('POST', '/API/ListMyAuthTokens', 400, { json: {},
      shape: { error: 'string', error_id: eq('basic_api') } });
    await api.call('POST', '/API/NoSuchRoute', 400, { json: { session_id: session.session_id },
      shape: { error: eq('Unknown API route'), error_id: eq('bad_route') } });
    await api.call('GET', '/API/ListMyAuthTokens', 302, { expect: 'empty' });
    await swarm.call('POST', '/API/RegisterBasic', 403, { json: { username: 'mallory', password: 'x'.repeat(20) },
      shape: { error: 'string', error_id: eq('registration_failed') } });
    await this.anonymous.call('POST', '/API/GetNewSession', 401, { json: { session_id: '0'.repeat(40) },
      shape: { error: 'string', error_id: 'string' } });
    await this.anonymous.call('GET', '/healthz', 200, { shape: { status: eq('ok') } });
    await swarm.call('POST', '/API/Logout', 200, { json: { session_id: session.session_id },
      shape: { success: eq('true') } });
  }

  graph(prefix) {
    return {
      4: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: this.checkpoint } },
      5: { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
      6: { class_type: 'CLIPTextEncode', inputs: { text: 'a lighthouse at dusk', clip: ['4', 1] } },
      7: { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['4', 1] } },
      3: { class_type: 'KSampler', inputs: { seed: 7, steps: 4, cfg: 7.0, sampler_name: 'euler',
        scheduler: 'normal', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0],
        latent_image: ['5', 0] } },
      8: { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
      9: { class_type: 'SaveImage', inputs: { filename_prefix: prefix, images: ['8', 0] } },
    };
  }

  async comfy() {
    const { anonymous: anon, alice, ada } = this;
    await anon.call('GET', '/object_info', 401, { shape: { error: 'string' } });
    await anon.call('HEAD', '/object_info', 401, { expect: 'empty' });
    await anon.call('GET', '/healthz', 200, { shape: { status: eq('ok') } });
    await anon.call('POST', '/prompt', 401, { json: { prompt: this.graph(this.tag) }, shape: { error: 'string' } });
    await anon.call('GET', '/healthz', 200, { shape: { status: eq('ok') } });

    const nodes = (await alice.call('GET', '/object_info', 200, { shape: { KSampler: {
      input: { required: 'object' }, output: 'array', name: eq('KSampler'), category: 'string' } } })).json();
    ensure('GET /object_info', 'CheckpointLoaderSimple' in nodes, 'no CheckpointLoaderSimple');
    await alice.call('HEAD', '/object_info', 200, { expect: 'empty' });
    await alice.call('GET', '/api/object_info/KSampler', 200, { shape: { KSampler: { name: eq('KSampler') } } });
    const stats = (await alice.call('GET', '/system_stats', 200, { shape: { system: 'object',
      devices: ['object'] } })).json();
    ensure('GET /system_stats', !('argv' in stats.system), 'system.argv shown to a user');
    await ada.call('GET', '/api/system_stats', 200, { shape: { system: { argv: ['string'] }, devices: 'array' } });
    await alice.call('GET', '/prompt', 200, { shape: { exec_info: { queue_remaining: 'integer' } } });

    const form = new FormData();
    form.append('image', new Blob([PNG], { type: 'image/png' }), `${this.tag}.png`);
    form.append('subfolder', 'clients');
    form.append('type', 'input');
    const upload = (await alice.call('POST', '/upload/image', 200, { body: form, shape: {
      name: eq(`${this.tag}.png`), subfolder: eq(`${this.aliceId}/clients`), type: eq('input') } })).json();
    const viewed = await alice.call('GET', '/view', 200, { expect: 'bytes',
      query: { filename: upload.name, subfolder: upload.subfolder, type: 'input' } });
    ensure('GET /view (upload)', viewed.body.equals(PNG), 'the uploaded image came back different');

    // A refused prompt (ComfyUI's validation error) with its body, then a good one.
    const bad = { 1: { class_type: 'NoSuchNode', inputs: {} } };
    await alice.call('POST', '/prompt', 400, { json: { prompt: bad }, shape: {
      error: { type: eq('invalid_prompt'), message: 'string', details: 'string', extra_info: 'object' },
      node_errors: 'object' } });
    const queued = (await alice.call('POST', '/prompt', 200, { json: { prompt: this.graph(this.tag),
      client_id: this.tag }, shape: { prompt_id: 'string', number: 'number', node_errors: eq({}) } })).json();
    const promptId = queued.prompt_id;
    await alice.call('GET', '/queue', 200, { shape: { queue_running: 'array', queue_pending: 'array' } });
    const image = await this.waitForImage(promptId);
    const history = (await alice.call('GET', '/history', 200, { shape: 'object' })).json();
    ensure('GET /history', promptId in history, 'the finished prompt is not in the history');
    const jobs = (await alice.call('GET', '/api/jobs', 200, { shape: {
      jobs: [{ id: 'string', status: 'string' }],
      pagination: { offset: 'integer', limit: oneOf('integer', 'null'), total: 'integer', has_more: 'boolean' },
    } })).json().jobs;
    ensure('GET /api/jobs', jobs.some((j) => j.id === promptId && j.status === 'completed'),
      `no completed job ${promptId}`);
    await alice.call('GET', `/api/jobs/${promptId}`, 200, { shape: { id: eq(promptId), status: eq('completed') } });
    await alice.call('GET', '/api/jobs/no-such-job', 404, { shape: { error: eq('Job not found') } });

    const view = { filename: image.filename, subfolder: image.subfolder, type: image.type };
    const output = await alice.call('GET', '/view', 200, { expect: 'bytes', query: view });
    ensure('GET /view', output.body.subarray(0, 8).equals(PNG.subarray(0, 8)), 'the output is not a PNG');
    ensure('GET /view', output.headers.get('content-type') === 'image/png',
      `Content-Type '${output.headers.get('content-type')}'`);
    await alice.call('HEAD', '/view', 200, { expect: 'empty', query: view });
    await alice.call('GET', '/view', 404, { expect: 'empty', query: { filename: 'missing.png', type: 'output' } });
    await alice.call('POST', '/interrupt', 200, { json: {}, expect: 'empty' });

    // Settings and userdata: each user has their own, kept by the gateway (userdata module).
    await alice.call('POST', '/settings/Comfy.Locale', 200, { json: 'fr', expect: 'empty' });
    await alice.call('GET', '/settings/Comfy.Locale', 200, { shape: eq('fr') });
    await alice.call('GET', '/api/settings', 200, { shape: { 'Comfy.Locale': eq('fr') } });
    const others = (await ada.call('GET', '/settings', 200, { shape: 'object' })).json();
    ensure('GET /settings', !('Comfy.Locale' in others), "another user's setting is visible");

    const name = `workflows%2F${this.tag}.json`;
    const workflow = JSON.stringify({ nodes: [], links: [], version: 0.4, extra: { client: this.tag } });
    await alice.call('POST', `/api/userdata/${name}`, 200, { body: workflow,
      headers: { 'Content-Type': 'application/json' }, shape: 'string' });
    const stored = await alice.call('GET', `/api/userdata/${name}`, 200, { expect: 'bytes' });
    ensure(`GET /api/userdata/${name}`, stored.body.toString('utf8') === workflow, 'the workflow came back different');
    await alice.call('GET', '/api/userdata', 200, { query: { dir: 'workflows' }, shape: ['string'] });
    await ada.call('GET', `/api/userdata/${name}`, 404, { expect: 'any' });
    await alice.call('DELETE', `/api/userdata/${name}`, 204, { expect: 'empty' });
    await alice.call('GET', `/api/userdata/${name}`, 404, { expect: 'any' });
  }

  async waitForImage(promptId) {
    const deadline = Date.now() + 60000;
    for (;;) {
      const history = (await this.alice.call('GET', `/history/${promptId}`, 200, { shape: 'object' })).json();
      const entry = history[promptId];
      if (entry?.status?.completed) {
        checkShape(`GET /history/${promptId}`, entry, {
          status: { status_str: eq('success'), completed: eq(true), messages: 'array' },
          outputs: { 9: { images: [{ filename: 'string', subfolder: 'string', type: eq('output') }] } } });
        return entry.outputs['9'].images[0];
      }
      ensure(`GET /history/${promptId}`, Date.now() < deadline, 'the prompt did not finish in 60 s');
      await sleep(100);
    }
  }

  async downloads() {
    const { alice, ada } = this;
    const base = '/mss-login/api/model-download';
    await ada.call('GET', `${base}/sources`, 200, { shape: {
      sources: ['string'], sources_with_keys: ['string'],
      capabilities: { sources: 'array', destination_types: 'array', limits: 'object', experimental: 'object',
        civitai_hosts: 'array', default_civitai_host: 'string', requires_api_key: 'object' } } });
    const folders = (await ada.call('GET', `/api${base}/folders`, 200, { shape: { folders: ['string'],
      default_folder: eq('checkpoints') } })).json();
    ensure(`GET /api${base}/folders`, folders.folders.includes('loras'), 'no loras folder');
    await ada.call('PUT', `${base}/api-keys`, 200, { json: { source: 'civitai', api_key: this.civitaiKey },
      shape: { status: eq('ok'), source: eq('civitai') } });
    const request = { source: 'civitai', model_version_id: this.civitaiVersion, folder_type: 'loras' };
    await alice.call('POST', `${base}/download`, 403, { json: request,
      shape: { error: eq('permission can_download_models required') } });
    await alice.call('GET', '/mss-login/api/me', 200, { shape: { username: eq(this.user) } });
    await ada.call('POST', `${base}/download`, 400, { json: { ...request, folder_type: '../etc' },
      shape: { error: 'string' } });
    const queued = (await ada.call('POST', `${base}/download`, 200, { json: request,
      shape: { status: eq('queued'), job_id: 'string', stats: 'object' } })).json();
    const jobId = queued.job_id;
    const deadline = Date.now() + 60000;
    let job;
    for (;;) {
      job = (await ada.call('GET', `${base}/jobs/${jobId}`, 200, { shape: { job: {
        job_id: eq(jobId), source: eq('civitai'), status: 'string', bytes_done: 'integer', progress_pct: 'number',
        can_cancel: 'boolean' }, stats: 'object' } })).json().job;
      if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
      ensure(`GET ${base}/jobs/${jobId}`, Date.now() < deadline, 'the download did not end in 60 s');
      await sleep(100);
    }
    checkShape(`GET ${base}/jobs/${jobId}`, job, { status: eq('completed'), destination: 'string', sha256: 'string' });
    ensure(`GET ${base}/jobs/${jobId}`, job.destination.startsWith('loras/'), `destination ${job.destination}`);
    const jobs = (await ada.call('GET', `${base}/jobs`, 200, { shape: { jobs: [{ job_id: 'string' }],
      stats: 'object' } })).json().jobs;
    ensure(`GET ${base}/jobs`, jobs.some((j) => j.job_id === jobId), 'the job is not listed');
    await ada.call('GET', `${base}/jobs/no-such-job`, 404, { shape: { error: eq('Job not found') } });
  }

  async cloudImport() {
    const { cloud } = this;
    await cloud.call('POST', '/api/assets/download', 400, { json: { source_url: 'https://downloads.invalid/x.bin' },
      shape: { code: eq('invalid_source_url'), message: 'string' } });
    const created = (await cloud.call('POST', '/api/assets/download', 202, {
      json: { source_url: this.cloudSourceUrl, tags: ['models', 'vae'], user_metadata: { client: this.tag } },
      shape: { task_id: 'string', status: eq('created'), message: 'string' } })).json();
    const taskId = created.task_id;
    const deadline = Date.now() + 60000;
    let task;
    for (;;) {
      task = (await cloud.call('GET', `/api/tasks/${taskId}`, 200, { shape: {
        id: eq(taskId), task_name: eq('task:download_file'), status: 'string',
        payload: { source_url: eq(this.cloudSourceUrl) }, create_time: 'string' } })).json();
      if (['completed', 'failed', 'cancelled'].includes(task.status)) break;
      ensure(`GET /api/tasks/${taskId}`, Date.now() < deadline, 'the task did not end in 60 s');
      await sleep(100);
    }
    checkShape(`GET /api/tasks/${taskId}`, task, { status: eq('completed'), result: { success: eq(true),
      file_path: 'string', hash: 'string', asset_id: 'string', filename: 'string' } });
    await cloud.call('GET', '/api/tasks/00000000000000000000000000000000', 404, {
      shape: { code: eq('not_found'), message: 'string' } });
    await this.anonymous.call('GET', `/api/tasks/${taskId}`, 401, { shape: { code: 'string', message: 'string' } });
  }

  async policies() {
    const { ada, alice } = this;
    const dryRun = { hook: 'string', decision: 'string', reason: 'string', failed: 'boolean', error: 'string',
      fail_mode: 'string', generation: 'integer', counters: 'array', notifications: 'array', http_calls: 'array',
      tags: 'array', duration_ms: 'number' };
    const listing = (await ada.call('GET', '/mss-login/api/admin/policies', 200, {
      shape: { generation: 'integer', hooks: [{ name: 'string', fail_mode: 'string', handlers: 'integer' }] } })).json();
    const hooks = new Set(listing.hooks.map((hook) => hook.name));
    for (const hook of ['prompt', 'login', 'model', 'queue', 'upload', 'token', 'register', 'event'])
      ensure('GET /mss-login/api/admin/policies', hooks.has(hook), `hook ${hook} not listed`);
    // The shipped prompt.lua caps steps: a dry run shows the verdict without running a prompt.
    const denied = (await ada.call('POST', '/mss-login/api/admin/policies/dry-run', 200, { shape: dryRun, json: {
      hook: 'prompt', subject: { username: this.user, role: 'user', groups: [] },
      request: { workflow: { 3: { class_type: 'KSampler', inputs: { steps: 100000 } } } } } })).json();
    ensure('POST /mss-login/api/admin/policies/dry-run', denied.decision === 'deny' && denied.reason !== '',
      `expected a deny with a reason, got ${JSON.stringify(denied)}`);
    await ada.call('POST', '/mss-login/api/admin/policies/dry-run', 200, { shape: { ...dryRun, decision: eq('allow') },
      json: { hook: 'prompt', subject: { username: this.user, role: 'user' }, request: { workflow: {} } } });
    // Refusals carrying a body, each followed by a request on the same connection.
    await ada.call('POST', '/mss-login/api/admin/policies/dry-run', 400, { body: '{"hook": ',
      headers: { 'Content-Type': 'application/json' }, shape: { error: 'string' } });
    await ada.call('POST', '/mss-login/api/admin/policies/dry-run', 400, { json: { hook: 'no-such-hook' },
      shape: { error: 'string' } });
    await alice.call('POST', '/mss-login/api/admin/policies/dry-run', 403, { json: { hook: 'prompt' },
      shape: { error: 'string' } });
    await alice.call('GET', '/mss-login/api/me', 200, { shape: { ...ME, username: eq(this.user) } });
    await ada.call('GET', '/mss-login/api/admin/policies', 200, { shape: { generation: 'integer' } });
  }

  // ---- web console and its admin routes ------------------------------------------------

  async console() {
    const { ada, alice, anonymous } = this;
    const page = await anonymous.call('GET', '/console/', 200, { expect: 'any' });
    ensure('GET /console/', (page.headers.get('content-type') ?? '').startsWith('text/html'),
      `Content-Type ${page.headers.get('content-type')}`);
    const policy = page.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"])
      ensure('GET /console/', policy.includes(directive), `no ${directive} in the CSP ${policy}`);
    const etag = page.headers.get('etag');
    ensure('GET /console/', etag, 'no ETag');
    await anonymous.call('GET', '/console/', 304, { expect: 'empty', headers: { 'If-None-Match': etag } });
    await anonymous.call('GET', '/console/tokens', 200, { expect: 'any' }); // a page of the client's router
    // fetch resolves dot segments (also %2e%2e) itself; an encoded slash reaches the server,
    // which refuses a dot segment inside a decoded parameter as a bad path.
    await anonymous.call('GET', '/console/lang/..%2F..%2F..%2Fetc%2Fpasswd', 400, { shape: { error: 'string' } });
    // A refusal that carries a body, then the next request on the same connection.
    await anonymous.call('POST', '/console/app.js', 405, { json: { x: 1 }, shape: { error: 'string' } });
    await anonymous.call('GET', '/console/app.js', 200, { expect: 'any' });

    const audit = (await ada.call('GET', '/mss-login/api/admin/audit', 200, { query: { limit: '5' },
      shape: { entries: [{ id: 'any', at: 'string', actor: 'string', action: 'string' }] } })).json();
    ensure('GET /mss-login/api/admin/audit', audit.entries.length <= 5, `${audit.entries.length} entries`);
    await ada.call('GET', '/mss-login/api/admin/audit', 400, { query: { limit: '0' },
      shape: { error: 'string', code: eq('invalid_parameter'), parameter: eq('limit') } });
    await ada.call('GET', '/mss-login/api/admin/audit', 400, { query: { since: 'yesterday' },
      shape: { error: 'string', code: eq('invalid_parameter'), parameter: eq('since') } });
    await alice.call('GET', '/mss-login/api/admin/audit', 403, { shape: { error: 'string' } });
    await ada.call('GET', '/mss-login/api/permissions', 200, { shape: { permissions: [{ id: 'string',
      description: 'string', group: 'string', default_roles: 'array' }] } });
    await alice.call('GET', '/mss-login/api/permissions', 403, { shape: { error: 'string' } });
  }

  async logout() {
    await this.ada.call('GET', '/logout', 200, { shape: { message: eq('Logged out') } });
    // A close right after the last response would otherwise go unseen.
    await sleep(200);
    this.ada.checkPreviousConnection('(after the last request)');
  }

  async main() {
    for (const family of ['kernel', 'auth', 'swarm', 'comfy', 'downloads', 'cloudImport', 'policies', 'console', 'logout']) {
      try {
        await this[family]();
      } catch (error) {
        // In keep-going mode a family that cannot go on is abandoned.
        if (!this.keepGoing) throw error;
        this.failed += 1;
        console.error(`FAILED ${family} abandoned: ${error.stack ?? error}`);
      }
    }
  }
}

const run = new Run();
try {
  await run.main();
} catch (error) {
  if (!(error instanceof CheckFailed)) throw error;
  console.error(`FAILED ${error.message}`);
  run.failed += 1;
}
console.log(`${run.passed} passed, ${run.failed} failed`);
process.exitCode = run.failed ? 1 : 0;
