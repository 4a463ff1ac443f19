// End-to-end tests of the Node client against the real jobfacade binary.
//
// Most describe blocks start their own `jobfacade --sandbox` on loopback, as a newcomer would
// (ports read back from its stdout). 'cancel and delete' instead starts a separate
// `jobfacade-emulator --manual-clock --no-demo` and a jobfacade that is not in sandbox mode but
// points its three vendors at that emulator, so the test moves the vendors' clock itself
// (POST /_emulator/clock/advance) instead of waiting for real time to pass. Every test drives
// real RPCs through client/node/jobfacade_client.js and checks them against API.md. Every wait
// is bounded; processes are killed in after() and again at process exit. Environment (set by
// tests/clients/CMakeLists.txt): JOBFACADE_BIN, JOBFACADE_EMULATOR_BIN, JOBFACADE_SOURCE_DIR.
'use strict';

const assert = require('node:assert/strict');
const {after, before, describe, it} = require('node:test');
const {spawn} = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');

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
// Cases for later work: the server answers vendors/- with UNIMPLEMENTED and any non-empty
// filter with INVALID_ARGUMENT/INVALID_FILTER for now.

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
async function startServer(vendorSettings) {
  const sandbox = vendorSettings === undefined;
  const binary = process.env.JOBFACADE_BIN;
  if (!binary) throw new Error('JOBFACADE_BIN is not set');
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(QBRAID_|IONQ_|PRAISONAI_|JOBFACADE_)/.test(key)) env[key] = value;
  }
  env.JOBFACADE_LISTEN = '127.0.0.1:0';
  env.JOBFACADE_METRICS_LISTEN = '127.0.0.1:0';
  Object.assign(env, vendorSettings || {});
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
