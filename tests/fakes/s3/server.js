// The S3-compatible server the S3 uploader tests start on loopback: s3rver (from the npm
// registry, installed by `scripts/dev deps` into <build>/s3rver) plus the two behaviours of
// real S3 that s3rver 3 lacks and the tests depend on:
//   - SigV4 signatures are verified (s3rver only checks that the access key id exists), so a
//     wrong secret is refused with 403 SignatureDoesNotMatch as S3 does;
//   - AbortMultipartUpload (DELETE ?uploadId=) removes the upload's parts (s3rver answers 405).
// and a fault switch for the retry tests, like the other fakes have:
//   POST /__faults?method=PUT&query=partNumber%3D2&status=503&count=2 makes the next two PUTs
//   whose query contains "partNumber=2" answer 503 (an S3 <Error> body); GET /__faults
//   answers {"remaining":N}; count=-1 fails for ever.
// POST /__reset empties the store (the bucket stays), the counters and the fault switch, so one
// server can serve a whole suite. The server exits by itself when the process that started
// it is gone (a crashed test leaves no server behind).
// GET /__requests answers how many requests each operation saw, e.g. {"PUT partNumber":3}
// (method, then the first of uploads/uploadId/partNumber/list-type in the query, if any).
//
// Usage: node server.js <dataDir> <bucket> <accessKeyId> <secretAccessKey>
// Prints "listening on 127.0.0.1:<port>" once it accepts connections.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');

const [directory, bucket, accessKeyId, secretAccessKey] = process.argv.slice(2);
if (!directory || !bucket || !accessKeyId || !secretAccessKey) {
  console.error('usage: node server.js <dataDir> <bucket> <accessKeyId> <secretAccessKey>');
  process.exit(2);
}
AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);

const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest();
const sha256Hex = text => crypto.createHash('sha256').update(text).digest('hex');
const encodeRfc3986 = text =>
  encodeURIComponent(text).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function errorXml(code, message) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

function canonicalQuery(rawQuery) {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map(pair => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      return [encodeRfc3986(decodeURIComponent(name)), encodeRfc3986(decodeURIComponent(value))];
    })
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

// The signature S3 would compute for this request, or null when the header is not SigV4 for
// a key we know (s3rver's own checks then answer).
function expectedSignature(req) {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
    req.headers.authorization || '',
  );
  if (!match) return null;
  const [, keyId, day, region, service, signedHeaders, provided] = match;
  const account = AWSAccount.registry.get(keyId);
  if (!account) return null;
  const [rawPath, rawQuery] = req.url.split(/\?(.*)/s);
  const headerLines = signedHeaders
    .split(';')
    .map(name => `${name}:${String(req.headers[name] || '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [
    req.method,
    rawPath,
    canonicalQuery(rawQuery),
    headerLines,
    signedHeaders,
    req.headers['x-amz-content-sha256'] || sha256Hex(''),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', req.headers['x-amz-date'] || '', scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac('AWS4' + account.accessKeys.get(keyId), day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  return { provided, expected: hmac(key, stringToSign).toString('hex') };
}

async function main() {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    vhostBuckets: false,
    serviceEndpoint: 'localhost', // virtual-hosted style: <bucket>.s3.localhost (curl resolves *.localhost to loopback)
    configureBuckets: [{ name: bucket, configs: [] }],
  });

  let fault = { remaining: 0 };
  const requests = {};
  server.middleware.unshift(async (ctx, next) => {
    if (ctx.path === '/__reset' && ctx.method === 'POST') {
      server.store.reset();
      await server.store.putBucket(bucket);
      fault = { remaining: 0 };
      for (const operation of Object.keys(requests)) delete requests[operation];
      ctx.status = 204;
      return;
    }
    if (ctx.path === '/__requests') {
      ctx.type = 'application/json';
      ctx.body = JSON.stringify(requests);
      return;
    }
    const subresource = ['partNumber', 'uploadId', 'uploads', 'list-type'].find(name => name in ctx.query);
    const operation = subresource ? `${ctx.method} ${subresource}` : ctx.method;
    if (ctx.path !== '/__faults') requests[operation] = (requests[operation] || 0) + 1;
    if (ctx.path === '/__faults') {
      if (ctx.method === 'POST') {
        fault = {
          method: String(ctx.query.method || ''),
          query: String(ctx.query.query || ''),
          status: Number(ctx.query.status || 500),
          remaining: Number(ctx.query.count || 1),
        };
      }
      ctx.type = 'application/json';
      ctx.body = JSON.stringify({ remaining: fault.remaining });
      return;
    }
    if (
      fault.remaining !== 0 &&
      ctx.method === fault.method &&
      decodeURIComponent(ctx.querystring).includes(fault.query)
    ) {
      if (fault.remaining > 0) fault.remaining -= 1;
      ctx.req.resume(); // drain the body the client is still sending
      ctx.status = fault.status;
      ctx.type = 'application/xml';
      ctx.body = errorXml(fault.status === 503 ? 'SlowDown' : 'InternalError', 'Injected by the test.');
      return;
    }
    const signature = expectedSignature(ctx.req);
    if (signature && signature.provided !== signature.expected) {
      ctx.status = 403;
      ctx.type = 'application/xml';
      ctx.body = errorXml(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
      return;
    }
    if (ctx.method === 'DELETE' && 'uploadId' in ctx.query) {
      const uploadId = String(ctx.query.uploadId);
      const uploadDir = path.join(server.store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
      if (!/^[0-9a-f]{32}$/.test(uploadId) || !fs.existsSync(uploadDir)) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = errorXml('NoSuchUpload', 'The specified upload does not exist.');
        return;
      }
      fs.rmSync(uploadDir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    return next();
  });

  const parent = process.ppid;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch (error) {
      process.exit(0);
    }
  }, 1000).unref();

  const { address, port } = await server.run();
  console.log(`listening on ${address}:${port}`);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
