// End-to-end tests of the Node client against the real jobfacade binary in sandbox mode.
//
// Each describe block starts its own `jobfacade --sandbox` on loopback (ports read back from
// its stdout), drives real RPCs through client/node/jobfacade_client.js and checks them against
// API.md. Every wait is bounded; servers are killed in after() and again at process exit.
// Environment (set by tests/clients/CMakeLists.txt): JOBFACADE_BIN, JOBFACADE_SOURCE_DIR.
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

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

// Starts one sandbox server; resolves with {proc, address, emulatorUrl, metricsAddress}.
function startServer() {
  const binary = process.env.JOBFACADE_BIN;
  if (!binary) throw new Error('JOBFACADE_BIN is not set');
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(QBRAID_|IONQ_|PRAISONAI_|JOBFACADE_)/.test(key)) env[key] = value;
  }
  env.JOBFACADE_LISTEN = '127.0.0.1:0';
  env.JOBFACADE_METRICS_LISTEN = '127.0.0.1:0';
  const proc = spawn(binary, ['--sandbox'], {env, stdio: ['ignore', 'pipe', 'inherit']});
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  const server = {proc, address: null, emulatorUrl: null, metricsAddress: null, lines: []};
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no 'jobfacade listening on' line within ${START_TIMEOUT_MS} ms: ` +
                       JSON.stringify(server.lines)));
    }, START_TIMEOUT_MS);
    const fail = (why) => {
      clearTimeout(timer);
      reject(new Error(`${why}; stdout: ${JSON.stringify(server.lines)}`));
    };
    proc.on('error', (err) => fail(`cannot start ${binary}: ${err.message}`));
    proc.on('exit', (code) => {
      if (!server.address) fail(`jobfacade exited with ${code} before serving`);
    });
    readline.createInterface({input: proc.stdout}).on('line', (line) => {
      server.lines.push(line);
      let m = /vendor emulator on (127\.0\.0\.1:\d+)/.exec(line);
      if (m) server.emulatorUrl = `http://${m[1]}`;
      m = /jobfacade metrics on (\S+:\d+)/.exec(line);
      if (m) server.metricsAddress = m[1];
      m = /jobfacade listening on (\S+:\d+)/.exec(line);
      if (m && !server.address) {
        server.address = m[1];
        clearTimeout(timer);
        if (!server.emulatorUrl) {
          reject(new Error(`no sandbox emulator line: ${JSON.stringify(server.lines)}`));
        } else {
          resolve(server);
        }
      }
    });
  });
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

// One sandbox server and client for a describe block.
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

async function findJob(client, vendor, state) {
  const job = (await listAll(client, `vendors/${vendor}`, {pageSize: 100}))
      .find((j) => j.state === state);
  assert.ok(job, `no ${state} job in the sandbox's ${vendor} listing`);
  return job;
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

  it('merges all vendors newest first', {timeout: TEST_TIMEOUT_MS}, async () => {
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
  const ctx = useServer();

  async function createRunningJob(vendor) {
    const res = await httpRequest(`${ctx.server.emulatorUrl}/_emulator/jobs`, 'POST', {
      vendor, initializing_seconds: 0, queued_seconds: 0, running_seconds: 36000});
    assert.ok(res.status >= 200 && res.status < 300,
              `POST /_emulator/jobs answered ${res.status} ${res.body}`);
    const created = JSON.parse(res.body);
    const id = created.id || created.job_id;
    assert.ok(id, `no id in ${res.body}`);
    const job = await ctx.client.getJob(`vendors/${vendor}/jobs/${id}`);
    assert.equal(job.state, 'RUNNING');
    return job;
  }

  it('refuses to cancel a completed job and leaves it alone', {timeout: TEST_TIMEOUT_MS},
     async () => {
       for (const vendor of VENDORS) {
         const job = await findJob(ctx.client, vendor, 'COMPLETED');
         await expectRpcError(ctx.client.cancelJob(job.name), 'FAILED_PRECONDITION',
                              'JOB_ALREADY_TERMINAL', vendor);
         assert.equal((await ctx.client.getJob(job.name)).state, 'COMPLETED');
       }
     });

  it('refuses to delete a running job', {timeout: TEST_TIMEOUT_MS}, async () => {
    for (const vendor of VENDORS) {
      const job = await findJob(ctx.client, vendor, 'RUNNING');
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
      if ((await ctx.client.getJob(job.name)).state === 'CANCELLING') {
        await expectRpcError(ctx.client.deleteJob(job.name), 'FAILED_PRECONDITION',
                             'JOB_NOT_TERMINAL', vendor);
        const states = (await ctx.client.collectWatch(job.name, 60000)).map((j) => j.state);
        assert.equal(states[states.length - 1], 'CANCELLED', states.join(','));
      }
      assert.equal((await ctx.client.getJob(job.name)).state, 'CANCELLED');
      await ctx.client.deleteJob(job.name);
      await expectRpcError(ctx.client.getJob(job.name), 'NOT_FOUND', 'JOB_NOT_FOUND', vendor);
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
