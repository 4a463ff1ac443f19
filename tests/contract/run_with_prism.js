#!/usr/bin/env node
// Runs a test command against a Prism mock of a vendor's OpenAPI document, and fails when the
// test fails OR when Prism reports that any request broke the document (wrong path or method,
// missing auth header, out-of-range or unknown query value, bad body).
//
// Usage: run_with_prism.js --spec qbraid|ionq|FILE -- COMMAND [ARGS...]
// The command gets PRISM_URL=http://127.0.0.1:PORT (the document's paths sit at the root).
// Specs default to ../shared/vendor-apis/ beside the repository; override with
// JOBFACADE_QBRAID_OPENAPI / JOBFACADE_IONQ_OPENAPI or JOBFACADE_SHARED_DIR. PRISM_BIN
// overrides node_modules/.bin/prism.
'use strict';

const {spawn} = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');
const SHARED = process.env.JOBFACADE_SHARED_DIR || path.resolve(REPO, '..', 'shared');
const SPECS = {
  qbraid: process.env.JOBFACADE_QBRAID_OPENAPI ||
      path.join(SHARED, 'vendor-apis', 'qbraid', 'openapi.yaml'),
  ionq: process.env.JOBFACADE_IONQ_OPENAPI ||
      path.join(SHARED, 'vendor-apis', 'ionq', 'openapi-v0.4.json'),
};
const PRISM = process.env.PRISM_BIN || path.join(REPO, 'node_modules', '.bin', 'prism');
const START_TIMEOUT_MS = 60000;
const TEST_TIMEOUT_MS = Number(process.env.PRISM_TEST_TIMEOUT_MS || 100000);
const START_ATTEMPTS = 3;
// How Prism 5 logs a request that breaks the document: the validator's "did not pass" and
// "Violation:" lines, and "Request terminated with error" for unknown paths/methods, auth and
// unprocessable requests. Every such line carries the ✖ error marker.
const VIOLATION_RE = /✖|did not pass the validation rules|Violation:|Request terminated with error/;

function log(message) {
  process.stderr.write(`run_with_prism: ${message}\n`);
}

function parseArgs(argv) {
  const sep = argv.indexOf('--');
  const own = sep < 0 ? argv : argv.slice(0, sep);
  const command = sep < 0 ? [] : argv.slice(sep + 1);
  const specIndex = own.indexOf('--spec');
  const spec = specIndex >= 0 ? own[specIndex + 1] : undefined;
  if (!spec || command.length === 0) {
    log('usage: run_with_prism.js --spec qbraid|ionq|FILE -- COMMAND [ARGS...]');
    process.exit(2);
  }
  return {spec: SPECS[spec] || spec, command};
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Starts Prism on a free port; resolves with {proc, port, output} once it says it listens.
async function startPrism(spec) {
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const proc = spawn(PRISM, ['mock', '--errors', '-h', '127.0.0.1', '-p', String(port), spec],
                       {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, FORCE_COLOR: '0'}});
    const prism = {proc, port, output: []};
    let buffered = '';
    const onData = (chunk) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop();
      prism.output.push(...lines);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    const started = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
      const poll = setInterval(() => {
        if (prism.output.some((l) => l.includes('Prism is listening'))) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve(true);
        }
      }, 50);
      proc.once('exit', () => {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(false);
      });
    });
    if (started) return prism;
    log(`prism did not start on port ${port} (attempt ${attempt}):\n` +
        prism.output.join('\n'));
    await stopProcess(proc);
  }
  throw new Error('prism did not start');
}

function stopProcess(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

function runCommand(command, env) {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), {stdio: ['ignore', 'inherit', 'inherit'],
                                                       env});
    const timer = setTimeout(() => {
      log(`test command still running after ${TEST_TIMEOUT_MS} ms: killing it`);
      child.kill('SIGKILL');
    }, TEST_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      log(`cannot run ${command[0]}: ${err.message}`);
      resolve(127);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code === null ? 128 : code);
    });
  });
}

async function main() {
  const {spec, command} = parseArgs(process.argv.slice(2));
  for (const file of [PRISM, spec]) {
    if (!fs.existsSync(file)) {
      log(`missing ${file}`);
      process.exit(2);
    }
  }
  const prism = await startPrism(spec);
  // Never leave prism behind when ctest stops this launcher at its time bound.
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, () => {
      prism.proc.kill('SIGKILL');
      process.exit(130);
    });
  }
  const url = `http://127.0.0.1:${prism.port}`;
  const startLines = prism.output.length;
  log(`prism mock of ${path.relative(process.cwd(), spec)} on ${url}`);
  let code;
  try {
    code = await runCommand(command, {...process.env, PRISM_URL: url});
  } finally {
    await stopProcess(prism.proc);
  }
  const traffic = prism.output.slice(startLines);
  const requests = traffic.filter((l) => l.includes('Request received')).length;
  const violations = traffic.filter((l) => VIOLATION_RE.test(l));
  if (violations.length > 0) {
    log(`prism reported ${violations.length} contract violation line(s):`);
    for (const line of violations) process.stderr.write(`  ${line.trim()}\n`);
  }
  if (process.env.PRISM_SHOW_LOG === '1') process.stderr.write(traffic.join('\n') + '\n');
  log(`${requests} request(s) seen by prism; test exit code ${code}; ` +
      `${violations.length} violation line(s)`);
  if (code !== 0) process.exit(code);
  if (violations.length > 0) process.exit(3);
  if (requests === 0) {
    log('the test sent no request to prism');
    process.exit(4);
  }
  process.exit(0);
}

main().catch((err) => {
  log(err.stack || String(err));
  process.exit(1);
});
