// End-to-end tests of the Node client against the real jobfacade binary.
//
// Most describe blocks start their own `jobfacade --sandbox` on loopback, as a newcomer would
// (ports read back from its stdout). 'cancel and delete' instead starts a separate
// `jobfacade-emulator --manual-clock --no-demo` and a jobfacade that is not in sandbox mode but
// points its three vendors at that emulator, so the test moves the vendors' clock itself
// (POST /_emulator/clock/advance) instead of waiting for real time to pass. Every test drives
// real RPCs through client/node/jobfacade_client.js and checks them against API.md. Every wait
// is bounded; processes are killed in after() and again at process exit. The security blocks
// serve with bearer tokens, caller vendor keys, TLS and mTLS, with certificates made by openssl
// in a temporary directory. Environment (set by tests/clients/CMakeLists.txt): JOBFACADE_BIN,
// JOBFACADE_EMULATOR_BIN, JOBFACADE_SOURCE_DIR.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('crypto');
const {after, before, describe, it} = require('node:test');
const {execFileSync, spawn} = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
// The grpc-js the client itself loads (the repository's node_modules), for its credentials.
const grpc = require('@grpc/grpc-js');

const SOURCE_DIR = process.env.JOBFACADE_SOURCE_DIR || path.resolve(__dirname, '..', '..');
const {JobfacadeClient, errorDetails, structToObject, timestampNanos} =
    require(path.join(SOURCE_DIR, 'client', 'node', 'jobfacade_client.js'));

const VENDORS = ['qbraid', 'ionq', 'praisonai'];
const START_TIMEOUT_MS = 60000;
const STOP_TIMEOUT_MS = 20000;
const RPC_TIMEOUT_MS = 20000;
const TEST_TIMEOUT_MS = 90000;
const NAME_RE = /^vendors\/(qbraid|ionq|praisonai)\/jobs\/([!-.0-~]{1,512})$/;
const MISSING_IDS = {
  qbraid: 'qbraid:qbraid:sim:qir-sv-0000-qjob-000000000000000000000000',
  ionq: '00000000-0000-4000-8000-000000000000',
  praisonai: 'run_000000000000',
};
const PAYLOAD_ID_KEY = {qbraid: 'jobQrn', ionq: 'id', praisonai: 'job_id'};
// The keys the separate emulator process is started with (PraisonAI runs without auth, its
// loopback default), and so the keys jobfacade is given for it.
const EMULATOR_KEYS = {qbraid: 'sandbox-qbraid-key', ionq: 'sandbox-ionq-key'};

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

// Spawns argv and resolves with {proc, lines, match} once a stdout line matches `ready`.
// On any failure to get there (spawn error, early exit, timeout) the process is killed and
// the promise rejects.
function startProcess(what, argv, env, ready) {
  if (!argv[0]) return Promise.reject(new Error(`${what}: no binary given`));
  const proc = spawn(argv[0], argv.slice(1), {env, stdio: ['ignore', 'pipe', 'inherit']});
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  const started = {proc, lines: [], match: null};
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(new Error(`${what}: ${why}; stdout: ${JSON.stringify(started.lines)}`));
    };
    const timer = setTimeout(() => fail(`no line matching ${ready} within ${START_TIMEOUT_MS} ms`),
                             START_TIMEOUT_MS);
    proc.on('error', (err) => fail(`cannot start ${argv[0]}: ${err.message}`));
    proc.on('exit', (code) => {
      if (!started.match) fail(`exited with ${code} before serving`);
    });
    readline.createInterface({input: proc.stdout}).on('line', (line) => {
      started.lines.push(line);
      if (started.match) return;
      started.match = ready.exec(line);
      if (started.match) {
        clearTimeout(timer);
        resolve(started);
      }
    });
  });
}

// The first match of `pattern` among the lines read so far, or null.
function findLine(lines, pattern) {
  for (const line of lines) {
    const m = pattern.exec(line);
    if (m) return m;
  }
  return null;
}

// Starts one jobfacade; resolves with {proc, address, emulatorUrl, metricsAddress}.
// vendorSettings undefined: sandbox mode (--sandbox; emulatorUrl is the built-in emulator).
// Otherwise the QBRAID_/IONQ_/PRAISONAI_ settings to serve (emulatorUrl stays null).
// extraEnv: more settings (tokens, TLS, ...).
async function startServer(vendorSettings, extraEnv = {}) {
  const sandbox = vendorSettings === undefined;
  const binary = process.env.JOBFACADE_BIN;
  if (!binary) throw new Error('JOBFACADE_BIN is not set');
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(QBRAID_|IONQ_|PRAISONAI_|JOBFACADE_)/.test(key)) env[key] = value;
  }
  env.JOBFACADE_LISTEN = '127.0.0.1:0';
  env.JOBFACADE_METRICS_LISTEN = '127.0.0.1:0';
  Object.assign(env, vendorSettings || {}, extraEnv);
  const started = await startProcess('jobfacade', sandbox ? [binary, '--sandbox'] : [binary],
                                     env, /jobfacade listening on (\S+:\d+)/);
  // Both lines come before the listening line.
  const emulator = findLine(started.lines, /vendor emulator on (127\.0\.0\.1:\d+)/);
  const metrics = findLine(started.lines, /jobfacade metrics on (\S+:\d+)/);
  if (sandbox !== (emulator !== null)) {
    started.proc.kill('SIGKILL');
    throw new Error((sandbox ? 'no sandbox emulator line before serving: '
                             : 'fell back to sandbox mode although vendors were configured: ') +
                    JSON.stringify(started.lines));
  }
  return {
    proc: started.proc,
    lines: started.lines,
    address: started.match[1],
    emulatorUrl: emulator ? `http://${emulator[1]}` : null,
    metricsAddress: metrics ? metrics[1] : null,
  };
}

// Starts a separate jobfacade-emulator on a manual clock, with no demo jobs; resolves with
// {proc, url, vendorSettings}, the last being the jobfacade settings that point at it.
async function startEmulator() {
  const binary = process.env.JOBFACADE_EMULATOR_BIN;
  if (!binary) throw new Error('JOBFACADE_EMULATOR_BIN is not set');
  const started = await startProcess(
      'jobfacade-emulator',
      [binary, '--port', '0', '--manual-clock', '--no-demo', '--qbraid-key', EMULATOR_KEYS.qbraid,
       '--ionq-key', EMULATOR_KEYS.ionq],
      {...process.env}, /jobfacade-emulator listening on (\S+:\d+)/);
  const url = `http://${started.match[1]}`;
  return {
    proc: started.proc,
    url,
    vendorSettings: {
      QBRAID_API_KEY: EMULATOR_KEYS.qbraid,
      QBRAID_BASE_URL: `${url}/qbraid/api/v1`,
      IONQ_API_KEY: EMULATOR_KEYS.ionq,
      IONQ_BASE_URL: `${url}/ionq/v0.4`,
      PRAISONAI_BASE_URL: `${url}/praisonai`,
    },
  };
}

// SIGTERM, then the exit code; SIGKILL when it does not exit in time.
function stopServer(server, signal = 'SIGTERM') {
  const {proc} = server;
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return Promise.resolve(proc.exitCode);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    proc.kill(signal);
  });
}

function httpRequest(url, method = 'GET', body = undefined) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(url, {
      method,
      timeout: RPC_TIMEOUT_MS,
      headers: data ? {'content-type': 'application/json', 'content-length': data.length} : {},
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({status: res.statusCode,
                                   body: Buffer.concat(chunks).toString()}));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

// Expects `promise` to fail with the contract's error details; returns them.
async function expectRpcError(promise, codeName, reason, vendor) {
  let error = null;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  assert.ok(error, `expected ${codeName}/${reason}, the call succeeded`);
  const d = errorDetails(error);
  assert.equal(d.codeName, codeName, d.message);
  assert.ok(d.status, 'no grpc-status-details-bin trailer');
  assert.equal(d.status.code, error.code);
  assert.equal(d.errorInfoCount, 1);
  assert.equal(d.domain, 'jobfacade');
  assert.equal(d.reason, reason, d.message);
  if (vendor !== undefined) assert.equal(d.metadata.vendor, vendor);
  return d;
}

async function listAll(client, parent, options = {}) {
  const jobs = [];
  for await (const job of client.iterJobs(parent, {maxPages: 500, ...options})) jobs.push(job);
  return jobs;
}

// POSTs to the emulator's /_emulator/ control API at `url`; resolves with the parsed reply.
async function emulatorPost(url, pathAndQuery, body) {
  const res = await httpRequest(`${url}${pathAndQuery}`, 'POST', body);
  assert.ok(res.status >= 200 && res.status < 300,
            `POST ${pathAndQuery} answered ${res.status} ${res.body}`);
  return res.body.trim() ? JSON.parse(res.body) : {};
}

// One sandbox server and client for a describe block, as a newcomer would run it.
function useServer() {
  const ctx = {server: null, client: null};
  before(async () => {
    ctx.server = await startServer();
    ctx.client = new JobfacadeClient(ctx.server.address, {timeoutMs: RPC_TIMEOUT_MS});
  }, {timeout: START_TIMEOUT_MS + 5000});
  after(async () => {
    if (ctx.client) ctx.client.close();
    if (ctx.server) await stopServer(ctx.server, 'SIGKILL');
  }, {timeout: STOP_TIMEOUT_MS + 5000});
  return ctx;
}

// A manual-clock emulator process and a jobfacade serving it (not in sandbox mode), with a
// client, for a describe block; both processes are always killed afterwards.
function useManualClockServer() {
  const ctx = {emulator: null, server: null, client: null};
  before(async () => {
    ctx.emulator = await startEmulator();
    ctx.server = await startServer(ctx.emulator.vendorSettings);
    ctx.client = new JobfacadeClient(ctx.server.address, {timeoutMs: RPC_TIMEOUT_MS});
  }, {timeout: 2 * START_TIMEOUT_MS + 5000});
  after(async () => {
    if (ctx.client) ctx.client.close();
    if (ctx.server) await stopServer(ctx.server, 'SIGKILL');
    if (ctx.emulator) await stopServer(ctx.emulator, 'SIGKILL');
  }, {timeout: 2 * STOP_TIMEOUT_MS + 5000});
  return ctx;
}

describe('listing and reading', () => {
  const ctx = useServer();

  it('lists well-formed jobs of each vendor across pages', {timeout: TEST_TIMEOUT_MS},
     async () => {
       for (const vendor of VENDORS) {
         const pages = [];
         for await (const page of ctx.client.iterPages(`vendors/${vendor}`,
                                                       {pageSize: 2, maxPages: 500})) {
           pages.push(page);
         }
         const jobs = pages.flatMap((p) => p.jobs);
         assert.ok(jobs.length > 0, `${vendor} listed no jobs`);
         for (const page of pages.slice(0, -1)) {
           assert.ok(page.next_page_token);
           assert.ok(page.jobs.length <= 2);
         }
         assert.equal(pages[pages.length - 1].next_page_token, '');
         const names = jobs.map((j) => j.name);
         assert.equal(new Set(names).size, names.length, 'a job appeared twice');
         for (const job of jobs) {
           const m = NAME_RE.exec(job.name);
           assert.ok(m, job.name);
           assert.equal(m[1], vendor);
           assert.equal(m[2], job.vendor_job_id);
           assert.equal(job.vendor, vendor);
           assert.equal(job.vendor_payload, null);
         }
         const onePage = await listAll(ctx.client, `vendors/${vendor}`, {pageSize: 200});
         assert.deepEqual(onePage.map((j) => j.name).sort(), [...names].sort());
       }
     });

  it('merges all vendors newest first', {timeout: TEST_TIMEOUT_MS},
     async () => {
       const merged = await listAll(ctx.client, 'vendors/-', {pageSize: 3});
       assert.deepEqual([...new Set(merged.map((j) => j.vendor))].sort(), [...VENDORS].sort());
       let total = 0;
       for (const vendor of VENDORS) {
         total += (await listAll(ctx.client, `vendors/${vendor}`, {pageSize: 200})).length;
       }
       assert.equal(merged.length, total);
       for (let i = 1; i < merged.length; i++) {
         const a = timestampNanos(merged[i - 1].create_time);
         const b = timestampNanos(merged[i].create_time);
         assert.ok(a > b || (a === b && merged[i - 1].name < merged[i].name),
                   `${merged[i - 1].name} before ${merged[i].name}`);
       }
     });

  it('filters on state', {timeout: TEST_TIMEOUT_MS}, async () => {
    const jobs = await listAll(ctx.client, 'vendors/-', {filter: 'state = COMPLETED'});
    assert.ok(jobs.length > 0, 'the sandbox has completed demo jobs');
    for (const job of jobs) assert.equal(job.state, 'COMPLETED', job.name);
  });

  it('reads a listed job with the contract fields', {timeout: TEST_TIMEOUT_MS}, async () => {
    for (const vendor of VENDORS) {
      const [listed] = (await ctx.client.listJobs({parent: `vendors/${vendor}`, page_size: 1}))
          .jobs;
      const job = await ctx.client.getJob(listed.name);
      assert.equal(job.name, listed.name);
      assert.equal(job.name, `vendors/${vendor}/jobs/${job.vendor_job_id}`);
      assert.equal(job.vendor, vendor);
      assert.ok(job.provider);
      assert.equal(job.provider, job.provider.toLowerCase());
      if (vendor !== 'qbraid') assert.equal(job.provider, vendor);
      if (vendor === 'praisonai') assert.equal(job.job_type, 'agent_run');
      assert.notEqual(job.state, 'STATE_UNSPECIFIED');
      assert.ok(job.vendor_state);
      assert.ok(job.create_time, 'create_time unset');
      assert.equal(timestampNanos(job.create_time), timestampNanos(listed.create_time));
      assert.equal(job.device, listed.device);
      assert.equal(job.vendor_payload, null);
    }
  });

  it('returns vendor_payload only with JOB_VIEW_FULL', {timeout: TEST_TIMEOUT_MS}, async () => {
    for (const vendor of VENDORS) {
      const [listed] = (await ctx.client.listJobs({parent: `vendors/${vendor}`, page_size: 1}))
          .jobs;
      const full = await ctx.client.getJob(listed.name, 'JOB_VIEW_FULL');
      const payload = structToObject(full.vendor_payload);
      assert.ok(payload, 'no vendor_payload');
      assert.equal(payload[PAYLOAD_ID_KEY[vendor]], full.vendor_job_id);
      const basic = await ctx.client.getJob(listed.name, 'JOB_VIEW_BASIC');
      assert.equal(basic.vendor_payload, null);
    }
  });

  it('rejects an altered or rebound page token', {timeout: TEST_TIMEOUT_MS}, async () => {
    const first = await ctx.client.listJobs({parent: 'vendors/qbraid', page_size: 1});
    const token = first.next_page_token;
    assert.ok(token);
    const mid = Math.floor(token.length / 2);
    const flipped = token.slice(0, mid) + (token[mid] === 'A' ? 'B' : 'A') + token.slice(mid + 1);
    await expectRpcError(ctx.client.listJobs({parent: 'vendors/qbraid', page_size: 1,
                                              page_token: flipped}),
                         'INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN');
    await expectRpcError(ctx.client.listJobs({parent: 'vendors/ionq', page_size: 1,
                                              page_token: token}),
                         'INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN');
    // A token is bound to the view it was issued for (view unset here).
    await expectRpcError(ctx.client.listJobs({parent: 'vendors/qbraid', page_size: 1,
                                              page_token: token, view: 'JOB_VIEW_FULL'}),
                         'INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN');
    // The untouched token still works with the arguments it was issued for.
    const second = await ctx.client.listJobs({parent: 'vendors/qbraid', page_size: 1,
                                              page_token: token});
    assert.equal(second.jobs.length, 1);
    assert.notEqual(second.jobs[0].name, first.jobs[0].name);
  });

  it('reports SERVING on the health service', {timeout: TEST_TIMEOUT_MS}, async () => {
    for (const service of ['', 'jobfacade.v1.JobService', 'vendors/qbraid', 'vendors/ionq',
                           'vendors/praisonai']) {
      assert.equal(await ctx.client.healthCheck(service), 'SERVING', service);
    }
  });
});

describe('errors', () => {
  const ctx = useServer();

  it('rejects malformed names with INVALID_NAME', {timeout: TEST_TIMEOUT_MS}, async () => {
    for (const name of ['', 'vendors/qbraid', 'vendors/qbraid/jobs/', 'vendors/qbraid/jobs/a b',
                        'projects/x/jobs/y']) {
      const d = await expectRpcError(ctx.client.getJob(name), 'INVALID_ARGUMENT',
                                     'INVALID_NAME');
      assert.ok(d.badRequest, 'no google.rpc.BadRequest');
      assert.equal(d.badRequest.field_violations[0].field, 'name');
    }
  });

  it('rejects an unknown vendor', {timeout: TEST_TIMEOUT_MS}, async () => {
    await expectRpcError(ctx.client.getJob('vendors/acme/jobs/job-1'), 'INVALID_ARGUMENT',
                         'UNKNOWN_VENDOR');
    await expectRpcError(ctx.client.listJobs({parent: 'vendors/acme'}), 'INVALID_ARGUMENT',
                         'UNKNOWN_VENDOR');
  });

  it('maps a missing job to NOT_FOUND', {timeout: TEST_TIMEOUT_MS}, async () => {
    for (const [vendor, id] of Object.entries(MISSING_IDS)) {
      const d = await expectRpcError(ctx.client.getJob(`vendors/${vendor}/jobs/${id}`),
                                     'NOT_FOUND', 'JOB_NOT_FOUND', vendor);
      assert.equal(d.metadata.http_status, '404');
    }
  });
});

describe('cancel and delete', () => {
  // Against the manual-clock emulator: vendor time moves only when the test says so.
  const ctx = useManualClockServer();

  // Seeds a job through the emulator's control API and reads it through jobfacade.
  async function createJob(vendor, expectedState, spec) {
    const created = await emulatorPost(ctx.emulator.url, '/_emulator/jobs', {vendor, ...spec});
    assert.ok(created.id, `no id in ${JSON.stringify(created)}`);
    const job = await ctx.client.getJob(`vendors/${vendor}/jobs/${created.id}`);
    assert.equal(job.state, expectedState);
    return job;
  }

  // A job that runs for ten hours of emulator time.
  function createRunningJob(vendor) {
    return createJob(vendor, 'RUNNING',
                     {initializing_seconds: 0, queued_seconds: 0, running_seconds: 36000});
  }

  // A job that completed a minute ago.
  function createCompletedJob(vendor) {
    return createJob(vendor, 'COMPLETED', {created_seconds_ago: 60, initializing_seconds: 0,
                                           queued_seconds: 0, running_seconds: 1,
                                           outcome: 'completed'});
  }

  it('refuses to cancel a completed job and leaves it alone', {timeout: TEST_TIMEOUT_MS},
     async () => {
       for (const vendor of VENDORS) {
         const job = await createCompletedJob(vendor);
         await expectRpcError(ctx.client.cancelJob(job.name), 'FAILED_PRECONDITION',
                              'JOB_ALREADY_TERMINAL', vendor);
         assert.equal((await ctx.client.getJob(job.name)).state, 'COMPLETED');
       }
     });

  it('refuses to delete a running job', {timeout: TEST_TIMEOUT_MS}, async () => {
    for (const vendor of VENDORS) {
      const job = await createRunningJob(vendor);
      await expectRpcError(ctx.client.deleteJob(job.name), 'FAILED_PRECONDITION',
                           'JOB_NOT_TERMINAL', vendor);
      assert.equal((await ctx.client.getJob(job.name)).state, 'RUNNING');
    }
  });

  it('cancels and then deletes a running job', {timeout: TEST_TIMEOUT_MS}, async () => {
    for (const vendor of VENDORS) {
      const job = await createRunningJob(vendor);
      const cancelled = await ctx.client.cancelJob(job.name);
      assert.equal(cancelled.name, job.name);
      assert.ok(['CANCELLING', 'CANCELLED'].includes(cancelled.state), cancelled.state);
      // Cancel is idempotent while cancelling or cancelled.
      const again = await ctx.client.cancelJob(job.name);
      assert.ok(['CANCELLING', 'CANCELLED'].includes(again.state), again.state);
      let {state} = await ctx.client.getJob(job.name);
      if (vendor === 'qbraid') {
        // qBraid reads CANCELLING until 5 s of its time pass, and the clock stands.
        assert.equal(state, 'CANCELLING');
      }
      if (state === 'CANCELLING') {
        // Not terminal yet, so no delete.
        await expectRpcError(ctx.client.deleteJob(job.name), 'FAILED_PRECONDITION',
                             'JOB_NOT_TERMINAL', vendor);
      }
      await emulatorPost(ctx.emulator.url, '/_emulator/clock/advance?seconds=30');
      ({state} = await ctx.client.getJob(job.name));
      assert.equal(state, 'CANCELLED', `${vendor} after the clock moved 30 s`);
      await ctx.client.deleteJob(job.name);
      await expectRpcError(ctx.client.getJob(job.name), 'NOT_FOUND', 'JOB_NOT_FOUND', vendor);
    }
  });
});

describe('watch', () => {
  // A manual-clock emulator and two replicas serving it, with watch polls fast enough that a
  // change reaches a watch soon after the emulator's clock moved.
  const ctx = {emulator: null, servers: [], client: null};
  const FAST_WATCH = {JOBFACADE_WATCH_POLL_MIN: '20ms', JOBFACADE_WATCH_POLL_MAX: '50ms'};
  before(async () => {
    ctx.emulator = await startEmulator();
    for (let i = 0; i < 2; ++i) {
      ctx.servers.push(await startServer({...ctx.emulator.vendorSettings, ...FAST_WATCH}));
    }
    ctx.client = new JobfacadeClient(ctx.servers[0].address, {timeoutMs: RPC_TIMEOUT_MS});
  }, {timeout: 3 * START_TIMEOUT_MS + 5000});
  after(async () => {
    if (ctx.client) ctx.client.close();
    for (const server of ctx.servers) await stopServer(server, 'SIGKILL');
    if (ctx.emulator) await stopServer(ctx.emulator, 'SIGKILL');
  }, {timeout: 3 * STOP_TIMEOUT_MS + 5000});

  // The jobs a watch passes on, taken one at a time with a bound.
  function watcher(client, name) {
    const jobs = [];
    const waiting = [];
    const handle = client.watch(name, (job) => {
      const w = waiting.shift();
      if (w) w(job); else jobs.push(job);
    }, {timeoutMs: 120000});
    const next = () => new Promise((resolve, reject) => {
      if (jobs.length > 0) return resolve(jobs.shift());
      const timer = setTimeout(() => reject(new Error(`no job from the watch of ${name}`)),
                               RPC_TIMEOUT_MS);
      waiting.push((job) => {
        clearTimeout(timer);
        resolve(job);
      });
    });
    return {next, handle, pending: () => jobs.length};
  }

  async function watchesOpen(server) {
    const res = await httpRequest(`http://${server.metricsAddress}/metrics`);
    const line = res.body.split('\n').find((l) => l.startsWith('jobfacade_watches_open '));
    assert.ok(line, 'no jobfacade_watches_open in the metrics');
    return Number(line.split(' ')[1]);
  }

  const same = (a, b) => a.state === b.state && a.state_message === b.state_message &&
      String(a.queue_position) === String(b.queue_position);

  it('follows a job to its end on every vendor', {timeout: TEST_TIMEOUT_MS}, async () => {
    for (const vendor of VENDORS) {
      const created = await emulatorPost(ctx.emulator.url, '/_emulator/jobs', {
        vendor, initializing_seconds: 1, queued_seconds: 3, running_seconds: 4,
        outcome: 'completed'});
      const name = `vendors/${vendor}/jobs/${created.id}`;
      const w = watcher(ctx.client, name);
      let last = await w.next();
      assert.equal(last.name, name);
      const seen = [last.state];
      for (let step = 0; step < 30 && last.state !== 'COMPLETED'; ++step) {
        await emulatorPost(ctx.emulator.url, '/_emulator/clock/advance?seconds=1');
        const now = await ctx.client.getJob(name);
        if (same(now, last)) continue;
        const sent = await w.next();
        assert.ok(same(sent, now), `${vendor}: sent ${sent.state}, GetJob says ${now.state}`);
        seen.push(sent.state);
        last = sent;
      }
      assert.ok(seen.includes('QUEUED') && seen.includes('RUNNING'), seen.join());
      assert.equal(seen[seen.length - 1], 'COMPLETED');
      await w.handle.done;
      assert.equal(w.pending(), 0);
    }
  });

  it('ends a watch of a missing job NOT_FOUND', {timeout: TEST_TIMEOUT_MS}, async () => {
    for (const vendor of VENDORS) {
      await expectRpcError(ctx.client.collectWatch(`vendors/${vendor}/jobs/${MISSING_IDS[vendor]}`),
                           'NOT_FOUND', 'JOB_NOT_FOUND', vendor);
    }
  });

  it('re-opens a watch ended by a replica shutting down', {timeout: TEST_TIMEOUT_MS},
     async () => {
       const [a, b] = ctx.servers;
       // One channel over both replicas, as a headless Service gives a client.
       const client = new JobfacadeClient(`ipv4:${a.address},${b.address}`,
                                          {timeoutMs: RPC_TIMEOUT_MS});
       try {
         const created = await emulatorPost(ctx.emulator.url, '/_emulator/jobs', {
           vendor: 'qbraid', initializing_seconds: 0, queued_seconds: 0, running_seconds: 5,
           outcome: 'completed'});
         const name = `vendors/qbraid/jobs/${created.id}`;
         const w = watcher(client, name);
         assert.equal((await w.next()).state, 'RUNNING');
         assert.equal(await watchesOpen(a), 1);
         assert.equal(await watchesOpen(b), 0);
         assert.equal(await stopServer(a), 0);  // its watch ends UNAVAILABLE / SHUTTING_DOWN
         const until = Date.now() + RPC_TIMEOUT_MS;
         while (await watchesOpen(b) !== 1 && Date.now() < until) {
           await new Promise((r) => setTimeout(r, 20));
         }
         assert.equal(await watchesOpen(b), 1, 'the watch was re-opened on the other replica');
         await emulatorPost(ctx.emulator.url, '/_emulator/clock/advance?seconds=10');
         assert.equal((await w.next()).state, 'COMPLETED');
         await w.handle.done;
         assert.equal(w.pending(), 0, 'RUNNING is not passed on twice after re-opening');
       } finally {
         client.close();
       }
     });
});

// Certificates made at test time in a temporary directory: `server` is self-signed for
// 127.0.0.1 and localhost, `client` is signed by the CA `ca`, `stranger` by another CA.
function makeCertificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobfacade-certs-'));
  const openssl = (...args) => execFileSync('openssl', args, {cwd: dir, stdio: 'pipe',
                                                             timeout: 60000});
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'server.key', '-out', 'server.pem', '-days', '2',
          '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [ca, leaf, serial] of [['ca', 'client', '1'], ['other-ca', 'stranger', '2']]) {
    openssl('req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2',
            '-subj', `/CN=jobfacade test ${ca}`, '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign');
    openssl('req', '-new', ...ec, '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`,
            '-subj', `/CN=jobfacade test ${leaf}`);
    openssl('x509', '-req', '-in', `${leaf}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`,
            '-set_serial', serial, '-days', '2', '-extfile', 'client.ext', '-out', `${leaf}.pem`);
  }
  const file = (name) => path.join(dir, name);
  const read = (name) => fs.readFileSync(file(name));
  return {
    dir,
    file,
    // TLS credentials that trust the server certificate; with `client` ('client' or
    // 'stranger'), presenting that client certificate.
    credentials: (client) => (client === undefined
      ? grpc.credentials.createSsl(read('server.pem'))
      : grpc.credentials.createSsl(read('server.pem'), read(`${client}.key`),
                                   read(`${client}.pem`))),
    cleanup: () => fs.rmSync(dir, {recursive: true, force: true}),
  };
}

// Caller tokens: one that may write, one read-only (JOBFACADE_AUTH_TOKENS_FILE's format).
const WRITE_TOKEN = 'jf-write-7c1d0a9e4b';
const READ_TOKEN = 'jf-read-52f8e6b3a1';
// A call that must fail at the connection (TLS refused) fails within this.
const REFUSED_TIMEOUT_MS = 5000;
const COMPLETED_IONQ = 'vendors/ionq/jobs/e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524';
const RUNNING_IONQ = 'vendors/ionq/jobs/0a7d4e2c-58b1-4f3e-9c6a-2b8f1d0e7a41';

// A sandbox server started with serverEnv(certs, tokensFile) for a describe block; clients made
// with ctx.client(options) are closed afterwards.
function useSecureServer(serverEnv) {
  const ctx = {server: null, certs: null, clients: []};
  ctx.client = (options = {}) => {
    const client = new JobfacadeClient(ctx.server.address,
                                       {timeoutMs: RPC_TIMEOUT_MS, ...options});
    ctx.clients.push(client);
    return client;
  };
  before(async () => {
    ctx.certs = makeCertificates();
    const tokensFile = ctx.certs.file('tokens');
    fs.writeFileSync(tokensFile, `# caller tokens\n${WRITE_TOKEN}\n${READ_TOKEN} read\n`);
    ctx.server = await startServer(undefined, serverEnv(ctx.certs, tokensFile));
  }, {timeout: START_TIMEOUT_MS + 65000});
  after(async () => {
    for (const client of ctx.clients) client.close();
    if (ctx.server) await stopServer(ctx.server, 'SIGKILL');
    if (ctx.certs) ctx.certs.cleanup();
  }, {timeout: STOP_TIMEOUT_MS + 5000});
  return ctx;
}

// The connection is refused: health (exempt from tokens) fails UNAVAILABLE.
async function expectRefused(client) {
  await assert.rejects(client.healthCheck('', REFUSED_TIMEOUT_MS),
                       (err) => err.code === grpc.status.UNAVAILABLE);
}

describe('bearer tokens', () => {
  const ctx = useSecureServer((certs, tokensFile) => ({JOBFACADE_AUTH_TOKENS_FILE: tokensFile}));

  it('refuses calls without or with a wrong token', {timeout: TEST_TIMEOUT_MS}, async () => {
    for (const bearerToken of [undefined, 'jf-not-a-token', `${WRITE_TOKEN}x`]) {
      const client = ctx.client({bearerToken});
      await expectRpcError(client.listJobs({parent: 'vendors/ionq'}), 'UNAUTHENTICATED',
                           'UNAUTHENTICATED');
      await expectRpcError(client.collectWatch(COMPLETED_IONQ, 20000), 'UNAUTHENTICATED',
                           'UNAUTHENTICATED');
    }
  });

  it('serves health without a token', {timeout: TEST_TIMEOUT_MS}, async () => {
    assert.equal(await ctx.client().healthCheck(), 'SERVING');
  });

  it('lets a write token read and write', {timeout: TEST_TIMEOUT_MS}, async () => {
    const client = ctx.client({bearerToken: WRITE_TOKEN});
    const jobs = await listAll(client, 'vendors/qbraid', {pageSize: 50});
    assert.ok(jobs.length > 0);
    assert.equal((await client.getJob(jobs[0].name)).name, jobs[0].name);
    assert.deepEqual((await client.collectWatch(COMPLETED_IONQ, 20000)).map((j) => j.state),
                     ['COMPLETED']);
    // A write the server allows reaches the job's state check: the demo job is COMPLETED.
    await expectRpcError(client.cancelJob(COMPLETED_IONQ), 'FAILED_PRECONDITION',
                         'JOB_ALREADY_TERMINAL', 'ionq');
  });

  it('lets a read token read but not write', {timeout: TEST_TIMEOUT_MS}, async () => {
    const client = ctx.client({bearerToken: READ_TOKEN});
    assert.equal((await client.getJob(RUNNING_IONQ)).state, 'RUNNING');
    assert.ok((await client.listJobs({parent: 'vendors/ionq'})).jobs.length > 0);
    await expectRpcError(client.cancelJob(RUNNING_IONQ), 'PERMISSION_DENIED',
                         'CALLER_NOT_ALLOWED');
    await expectRpcError(client.deleteJob(RUNNING_IONQ), 'PERMISSION_DENIED',
                         'CALLER_NOT_ALLOWED');
    assert.equal((await client.getJob(RUNNING_IONQ)).state, 'RUNNING');
  });
});

describe('TLS', () => {
  const ctx = useSecureServer((certs, tokensFile) => ({
    JOBFACADE_TLS_CERT_FILE: certs.file('server.pem'),
    JOBFACADE_TLS_KEY_FILE: certs.file('server.key'),
    JOBFACADE_AUTH_TOKENS_FILE: tokensFile,
  }));

  it('serves calls over TLS with a token', {timeout: TEST_TIMEOUT_MS}, async () => {
    const client = ctx.client({credentials: ctx.certs.credentials(), bearerToken: WRITE_TOKEN});
    assert.equal(await client.healthCheck(), 'SERVING');
    const jobs = await listAll(client, 'vendors/-', {pageSize: 100});
    assert.deepEqual([...new Set(jobs.map((j) => j.vendor))].sort(), [...VENDORS].sort());
    await expectRpcError(client.getJob('vendors/acme/jobs/x'), 'INVALID_ARGUMENT',
                         'UNKNOWN_VENDOR');
  });

  it('still requires the token over TLS', {timeout: TEST_TIMEOUT_MS}, async () => {
    const client = ctx.client({credentials: ctx.certs.credentials()});
    await expectRpcError(client.listJobs({parent: 'vendors/ionq'}), 'UNAUTHENTICATED',
                         'UNAUTHENTICATED');
  });

  it('refuses plaintext and clients that do not trust the certificate',
     {timeout: TEST_TIMEOUT_MS}, async () => {
       await expectRefused(ctx.client());
       // The system's roots do not hold the test's self-signed certificate.
       await expectRefused(ctx.client({credentials: grpc.credentials.createSsl()}));
     });
});

describe('mutual TLS', () => {
  const ctx = useSecureServer((certs) => ({
    JOBFACADE_TLS_CERT_FILE: certs.file('server.pem'),
    JOBFACADE_TLS_KEY_FILE: certs.file('server.key'),
    JOBFACADE_TLS_CLIENT_CA_FILE: certs.file('ca.pem'),
  }));

  it('accepts a client certificate signed by the CA', {timeout: TEST_TIMEOUT_MS}, async () => {
    const client = ctx.client({credentials: ctx.certs.credentials('client')});
    assert.equal(await client.healthCheck(), 'SERVING');
    const job = await client.getJob(
        'vendors/qbraid/jobs/aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6');
    assert.equal(job.state, 'COMPLETED');
    const watched = await client.collectWatch(job.name, 20000);
    assert.equal(watched[watched.length - 1].state, 'COMPLETED');
  });

  it('fails a call without a client certificate', {timeout: TEST_TIMEOUT_MS}, async () => {
    await expectRefused(ctx.client({credentials: ctx.certs.credentials()}));
  });

  it('fails a client certificate of another CA', {timeout: TEST_TIMEOUT_MS}, async () => {
    await expectRefused(ctx.client({credentials: ctx.certs.credentials('stranger')}));
  });

  it('fails a plaintext call', {timeout: TEST_TIMEOUT_MS}, async () => {
    await expectRefused(ctx.client());
  });
});

describe('caller vendor keys', () => {
  // Against the manual-clock emulator, whose IonQ checks the key it was started with.
  const ctx = {emulator: null, server: null};
  before(async () => {
    ctx.emulator = await startEmulator();
    ctx.server = await startServer(ctx.emulator.vendorSettings,
                                   {JOBFACADE_ALLOW_CALLER_KEYS: 'true'});
  }, {timeout: 2 * START_TIMEOUT_MS + 5000});
  after(async () => {
    if (ctx.server) await stopServer(ctx.server, 'SIGKILL');
    if (ctx.emulator) await stopServer(ctx.emulator, 'SIGKILL');
  }, {timeout: 2 * STOP_TIMEOUT_MS + 5000});

  it('uses a caller key for that call', {timeout: TEST_TIMEOUT_MS}, async () => {
    const created = await emulatorPost(ctx.emulator.url, '/_emulator/jobs', {
      vendor: 'ionq', initializing_seconds: 0, queued_seconds: 0, running_seconds: 3600});
    const name = `vendors/ionq/jobs/${created.id}`;
    const right = new JobfacadeClient(ctx.server.address, {
      timeoutMs: RPC_TIMEOUT_MS, vendorKeys: {ionq: EMULATOR_KEYS.ionq}});
    const wrong = new JobfacadeClient(ctx.server.address, {
      timeoutMs: RPC_TIMEOUT_MS, vendorKeys: {ionq: 'not-the-ionq-key'}});
    const plain = new JobfacadeClient(ctx.server.address, {timeoutMs: RPC_TIMEOUT_MS});
    try {
      assert.equal((await right.getJob(name)).state, 'RUNNING');
      // The vendor refused the caller's own key: UNAUTHENTICATED, not INTERNAL.
      const d = await expectRpcError(wrong.getJob(name), 'UNAUTHENTICATED',
                                     'VENDOR_AUTH_FAILED', 'ionq');
      assert.equal(d.metadata.http_status, '401');
      assert.ok(!d.message.includes('not-the-ionq-key'));
      // The server's own key still answers without one.
      assert.equal((await plain.getJob(name)).state, 'RUNNING');
    } finally {
      right.close();
      wrong.close();
      plain.close();
    }
  });

  it('refuses an unknown vendor in vendorKeys', () => {
    assert.throws(() => new JobfacadeClient(ctx.server.address, {vendorKeys: {acme: 'k'}}),
                  /unknown vendor acme/);
  });
});

describe('creating jobs and reading results', () => {
  const ctx = useManualClockServer();
  const bell = (device) => ({
    device, shots: 100, display_name: 'bell',
    quantum_program: {format: 'FORMAT_OPENQASM3',
                      source: 'OPENQASM 3.0;\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n'},
  });

  it('submits once per request id and reads the counts', {timeout: TEST_TIMEOUT_MS},
     async () => {
       const requestId = crypto.randomUUID();
       const job = await ctx.client.createJob('vendors/ionq', bell('simulator'), {requestId});
       assert.match(job.name, /^vendors\/ionq\/jobs\//);
       const again = await ctx.client.createJob('vendors/ionq', bell('simulator'), {requestId});
       assert.equal(again.name, job.name);
       await expectRpcError(ctx.client.getJobResult(job.name), 'FAILED_PRECONDITION',
                            'JOB_NOT_TERMINAL');
       await emulatorPost(ctx.emulator.url, '/_emulator/clock/advance?seconds=120');
       const result = await ctx.client.getJobResult(job.name);
       assert.equal(result.state, 'COMPLETED');
       assert.deepEqual({...result.quantum.counts}, {'00': '50', '11': '50'});
       assert.equal(result.quantum.counts_estimated, true);
     });

  it('refuses a reused request id and a bad spec', {timeout: TEST_TIMEOUT_MS}, async () => {
    const requestId = crypto.randomUUID();
    await ctx.client.createJob('vendors/qbraid', bell('aws:aws:sim:sv1'), {requestId});
    await expectRpcError(
        ctx.client.createJob('vendors/qbraid', {...bell('aws:aws:sim:sv1'), shots: 7},
                             {requestId}),
        'ALREADY_EXISTS', 'REQUEST_ID_REUSED');
    await expectRpcError(ctx.client.createJob('vendors/praisonai', {agent_run: {prompt: ''}}),
                         'INVALID_ARGUMENT', 'INVALID_JOB_SPEC');
  });
});

describe('shutdown', () => {
  it('exits 0 on SIGTERM', {timeout: TEST_TIMEOUT_MS}, async () => {
    const server = await startServer();
    try {
      const client = new JobfacadeClient(server.address, {timeoutMs: RPC_TIMEOUT_MS});
      assert.equal(await client.healthCheck(), 'SERVING');
      client.close();
      assert.equal(await stopServer(server), 0);
    } finally {
      await stopServer(server, 'SIGKILL');
    }
  });
});
