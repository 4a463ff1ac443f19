// A small Node.js client for jobfacade.v1.JobService on @grpc/grpc-js + @grpc/proto-loader, with
// grpc.health.v1 from the grpc-health-check package.
//
// The protos are loaded at run time from the repository's proto/ folder (includeDirs: proto/;
// google/protobuf/* come with protobufjs). Loader options: keepCase: true, so message fields
// keep the proto's snake_case names (job.vendor_job_id, request.page_token), the same names as
// API.md and the Python client; enums: String (job.state === 'RUNNING'); longs: String
// (job.shots === '1000', Timestamp seconds as text); defaults: true; oneofs: true.
//
//   const {JobfacadeClient, errorDetails} = require('./client/node/jobfacade_client');
//   const client = new JobfacadeClient('127.0.0.1:50051');
//   for await (const job of client.iterJobs('vendors/ionq')) console.log(job.name, job.state);
//   try { await client.getJob('vendors/acme/jobs/x'); } catch (err) {
//     const d = errorDetails(err);  // {codeName: 'INVALID_ARGUMENT', reason: 'UNKNOWN_VENDOR', ...}
//   }
//   client.close();
//
// Failed calls reject with grpc-js's ServiceError; errorDetails() decodes its
// grpc-status-details-bin trailer into google.rpc.Status with ErrorInfo, BadRequest and
// RetryInfo (API.md, "Errors").
'use strict';

const crypto = require('crypto');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');
const healthCheck = require('grpc-health-check');

const DEFAULT_PROTO_DIR = path.resolve(__dirname, '..', '..', 'proto');
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const LOADER_OPTIONS = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const VENDOR_KEY_HEADERS = Object.freeze({
  qbraid: 'x-qbraid-api-key',
  ionq: 'x-ionq-api-key',
  praisonai: 'x-praisonai-api-key',
});

// grpc.health.v1's client, from the service definition the grpc-health-check package ships
// (loaded with the same options: enums as strings, so status is 'SERVING').
const Health = grpc.makeGenericClientConstructor(healthCheck.service, 'Health');

const loaded = new Map();  // protoDir -> {JobService, Health, types}

// Loads the service definitions and the error-detail types once per proto directory.
function load(protoDir = DEFAULT_PROTO_DIR) {
  if (loaded.has(protoDir)) return loaded.get(protoDir);
  const definition = protoLoader.loadSync('jobfacade/v1/job_service.proto',
                                          {...LOADER_OPTIONS, includeDirs: [protoDir]});
  const JobService = grpc.loadPackageDefinition(definition).jobfacade.v1.JobService;
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) =>
    path.isAbsolute(target) ? target : path.join(protoDir, target);
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'],
                {keepCase: true});
  const result = {
    JobService,
    Health,
    types: {
      Status: root.lookupType('google.rpc.Status'),
      ErrorInfo: root.lookupType('google.rpc.ErrorInfo'),
      BadRequest: root.lookupType('google.rpc.BadRequest'),
      RetryInfo: root.lookupType('google.rpc.RetryInfo'),
    },
  };
  loaded.set(protoDir, result);
  return result;
}

const CODE_NAMES = Object.fromEntries(
  Object.entries(grpc.status).map(([name, value]) => [value, name]));

// Decodes the error details of a failed call: {code, codeName, message, status, errorInfo,
// errorInfoCount, badRequest, retryInfo, reason, domain, metadata}. status and the details are
// null when the trailer is absent.
function errorDetails(err, protoDir = DEFAULT_PROTO_DIR) {
  const {types} = load(protoDir);
  const result = {
    code: err.code,
    codeName: CODE_NAMES[err.code] || String(err.code),
    message: err.details || err.message || '',
    status: null,
    errorInfo: null,
    errorInfoCount: 0,
    badRequest: null,
    retryInfo: null,
    reason: '',
    domain: '',
    metadata: {},
  };
  const raw = err.metadata ? err.metadata.get(STATUS_DETAILS_KEY) : [];
  if (!raw || raw.length === 0) return result;
  const toObject = (type, bytes) =>
    type.toObject(type.decode(bytes), {longs: String, enums: String, defaults: true});
  result.status = toObject(types.Status, raw[0]);
  for (const any of result.status.details) {
    const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
    if (typeName === 'google.rpc.ErrorInfo') {
      result.errorInfoCount += 1;
      if (!result.errorInfo) result.errorInfo = toObject(types.ErrorInfo, any.value);
    } else if (typeName === 'google.rpc.BadRequest' && !result.badRequest) {
      result.badRequest = toObject(types.BadRequest, any.value);
    } else if (typeName === 'google.rpc.RetryInfo' && !result.retryInfo) {
      result.retryInfo = toObject(types.RetryInfo, any.value);
    }
  }
  if (result.errorInfo) {
    result.reason = result.errorInfo.reason;
    result.domain = result.errorInfo.domain;
    result.metadata = {...result.errorInfo.metadata};
  }
  return result;
}

// google.protobuf.Struct / Value (as proto-loader returns them) to plain JavaScript.
function structToObject(struct) {
  if (!struct || !struct.fields) return null;
  const out = {};
  for (const [key, value] of Object.entries(struct.fields)) out[key] = valueToJs(value);
  return out;
}

function valueToJs(value) {
  switch (value.kind) {
    case 'nullValue': return null;
    case 'numberValue': return value.numberValue;
    case 'stringValue': return value.stringValue;
    case 'boolValue': return value.boolValue;
    case 'structValue': return structToObject(value.structValue);
    case 'listValue': return (value.listValue.values || []).map(valueToJs);
    default: return undefined;
  }
}

// google.protobuf.Timestamp to nanoseconds since the epoch, as a BigInt (null when unset).
function timestampNanos(ts) {
  if (!ts) return null;
  return BigInt(ts.seconds || 0) * 1000000000n + BigInt(ts.nanos || 0);
}

class JobfacadeClient {
  // target: 'host:port'. Options: credentials (grpc.ChannelCredentials; default insecure),
  // bearerToken (sent as `authorization: Bearer ...`), vendorKeys ({qbraid: key, ...}, sent as
  // x-{vendor}-api-key when the server allows caller keys), timeoutMs (default deadline of
  // each call), protoDir (default: the repository's proto/).
  constructor(target = '127.0.0.1:50051', options = {}) {
    const {credentials = grpc.credentials.createInsecure(), bearerToken, vendorKeys = {},
           timeoutMs = 30000, protoDir = DEFAULT_PROTO_DIR} = options;
    const {JobService, Health} = load(protoDir);
    this.protoDir = protoDir;
    this.timeoutMs = timeoutMs;
    this.metadata = new grpc.Metadata();
    if (bearerToken) this.metadata.set('authorization', `Bearer ${bearerToken}`);
    for (const [vendor, key] of Object.entries(vendorKeys)) {
      if (!VENDOR_KEY_HEADERS[vendor]) throw new Error(`unknown vendor ${vendor}`);
      this.metadata.set(VENDOR_KEY_HEADERS[vendor], key);
    }
    this.stub = new JobService(target, credentials);
    this.health = new Health(target, credentials, {channelOverride: this.stub.getChannel()});
  }

  close() {
    this.health.close();
    this.stub.close();
  }

  callOptions(timeoutMs) {
    return {deadline: new Date(Date.now() + (timeoutMs ?? this.timeoutMs))};
  }

  unary(method, request, timeoutMs) {
    return new Promise((resolve, reject) => {
      this.stub[method](request, this.metadata, this.callOptions(timeoutMs),
                        (err, response) => (err ? reject(err) : resolve(response)));
    });
  }

  // view: 'JOB_VIEW_BASIC' (default) or 'JOB_VIEW_FULL' (adds vendor_payload).
  getJob(name, view = 'JOB_VIEW_UNSPECIFIED', timeoutMs) {
    return this.unary('GetJob', {name, view}, timeoutMs);
  }

  // request: {parent, page_size, page_token, filter, view}.
  listJobs(request, timeoutMs) {
    return this.unary('ListJobs', request, timeoutMs);
  }

  // Every page of a listing, following next_page_token.
  async* iterPages(parent, {pageSize = 0, filter = '', view = 'JOB_VIEW_UNSPECIFIED',
                            maxPages = 10000} = {}) {
    let token = '';
    for (let i = 0; i < maxPages; i++) {
      const page = await this.listJobs({parent, page_size: pageSize, page_token: token,
                                        filter, view});
      yield page;
      token = page.next_page_token;
      if (!token) return;
    }
    throw new Error(`listing ${parent} did not end within ${maxPages} pages`);
  }

  async* iterJobs(parent, options = {}) {
    for await (const page of this.iterPages(parent, options)) yield* page.jobs;
  }

  // Submits job (a JobSpec object) to parent 'vendors/{vendor}' at most once. Every call
  // carries a request_id (a fresh UUID when none is given), so repeating it is safe: the server
  // answers the job the first call made. A submission the server could not confirm
  // (UNAVAILABLE / SUBMISSION_UNCONFIRMED) is asked again with the same request_id, up to
  // unconfirmedRetries times, after the delay the error gives.
  async createJob(parent, job, {requestId, timeoutMs, unconfirmedRetries = 2} = {}) {
    const request = {parent, job, request_id: requestId || crypto.randomUUID()};
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.unary('CreateJob', request, timeoutMs);
      } catch (err) {
        const details = errorDetails(err, this.protoDir);
        if (details.reason !== 'SUBMISSION_UNCONFIRMED' || attempt >= unconfirmedRetries) throw err;
        const delay = details.retryInfo && details.retryInfo.retry_delay;
        const delayMs = delay ? Number(delay.seconds) * 1000 + Math.floor(delay.nanos / 1e6) : 1000;
        await new Promise((resolve) => setTimeout(resolve, Math.min(10000, delayMs)));
      }
    }
  }

  // The JobResult of a COMPLETED job; FAILED_PRECONDITION (JOB_NOT_TERMINAL or
  // RESULT_NOT_AVAILABLE) before or without one. view 'JOB_VIEW_FULL' adds vendor_payload.
  getJobResult(name, view = 'JOB_VIEW_UNSPECIFIED', timeoutMs) {
    return this.unary('GetJobResult', {name, view}, timeoutMs);
  }

  cancelJob(name, timeoutMs) {
    return this.unary('CancelJob', {name}, timeoutMs);
  }

  async deleteJob(name, timeoutMs) {
    await this.unary('DeleteJob', {name}, timeoutMs);
  }

  // One WatchJob stream as grpc-js gives it (a ClientReadableStream of Job; cancel() stops
  // it). It does not re-open by itself; watch() does. No deadline unless timeoutMs is given:
  // a watch lasts as long as its job.
  watchJob(name, timeoutMs) {
    const options = timeoutMs === undefined ? {} : this.callOptions(timeoutMs);
    return this.stub.WatchJob({name}, this.metadata, options);
  }

  // Follows job `name`: onJob(job) runs with the job now and at each change of its state,
  // state_message or queue_position. When the server ends the stream with UNAVAILABLE /
  // SHUTTING_DOWN (it is stopping, or the connection reached its maximum age) the watch is
  // opened again, and a first job equal to the last one passed on is not passed on twice.
  // Returns {done, cancel}: `done` resolves after a terminal state and rejects with any other
  // error; cancel() stops the watch (done then rejects with CANCELLED). timeoutMs bounds the
  // whole watch.
  watch(name, onJob, {timeoutMs, reopen = true} = {}) {
    const until = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    let call = null;
    let cancelled = false;
    let last = null;
    let reopens = 0;
    const done = new Promise((resolve, reject) => {
      const open = () => {
        const remaining = until === undefined ? undefined : Math.max(0, until - Date.now());
        call = this.watchJob(name, remaining);
        call.on('data', (job) => {
          const seen = `${job.state}\u0000${job.state_message}\u0000${job.queue_position}`;
          if (seen === last) return;
          last = seen;
          onJob(job);
        });
        call.on('error', (err) => {
          if (!cancelled && reopen && err.code === grpc.status.UNAVAILABLE &&
              errorDetails(err, this.protoDir).reason === 'SHUTTING_DOWN') {
            reopens += 1;
            setTimeout(open, Math.min(50 * reopens, 1000));
            return;
          }
          reject(err);
        });
        call.on('end', () => resolve());
      };
      open();
    });
    return {
      done,
      cancel: () => {
        cancelled = true;
        if (call) call.cancel();
      },
    };
  }

  // Every Job the watch passes on until the job ends (re-opening as watch() does).
  collectWatch(name, timeoutMs) {
    const jobs = [];
    return this.watch(name, (job) => jobs.push(job), {timeoutMs}).done.then(() => jobs);
  }

  // grpc.health.v1 status of `service` ('' = the whole server): 'SERVING', ...
  healthCheck(service = '', timeoutMs) {
    return new Promise((resolve, reject) => {
      this.health.Check({service}, this.callOptions(timeoutMs),
                        (err, response) => (err ? reject(err) : resolve(response.status)));
    });
  }
}

module.exports = {
  DEFAULT_PROTO_DIR,
  JobfacadeClient,
  LOADER_OPTIONS,
  STATUS_DETAILS_KEY,
  errorDetails,
  load,
  structToObject,
  timestampNanos,
};
