"""The benchmark's peer: the small Python facade a team would write instead of jobfacade.

GetJob only, for IonQ: grpc.aio in front of an aiohttp client with keep-alive, the vendor's JSON
parsed and the few fields a caller needs copied into jobfacade.v1.Job. It does far less than
jobfacade (no error model, no retries, no limits), so it is the lower bound of what such a
service costs. Usage:

  python_peer.py --gen-dir DIR --vendor-url http://127.0.0.1:PORT/v0.4 --key KEY
Prints "listening on 127.0.0.1:PORT" once it serves.
"""

import argparse
import asyncio
import datetime
import os
import sys

import aiohttp
import grpc

STATES = {
    "submitted": 2, "ready": 2, "running": 3, "completed": 6, "failed": 7, "canceled": 5,
}


def timestamp(pb_timestamp, text):
    if not text:
        return
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    pb_timestamp.FromDatetime(moment.astimezone(datetime.timezone.utc).replace(tzinfo=None))


async def serve(args):
    sys.path.insert(0, args.gen_dir)
    from jobfacade.v1 import job_service_pb2 as pb  # pylint: disable=import-outside-toplevel

    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=args.connections),
        headers={"Authorization": f"apiKey {args.key}"})

    async def get_job(request, context):
        parts = request.name.split("/")
        if len(parts) != 4 or parts[0] != "vendors" or parts[1] != "ionq" or parts[2] != "jobs":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad name")
        async with session.get(f"{args.vendor_url}/jobs/{parts[3]}") as response:
            if response.status == 404:
                await context.abort(grpc.StatusCode.NOT_FOUND, "job not found")
            if response.status != 200:
                await context.abort(grpc.StatusCode.UNAVAILABLE, f"vendor {response.status}")
            body = await response.json(content_type=None)
        job = pb.Job(name=request.name, vendor="ionq", vendor_job_id=body.get("id", ""),
                     state=STATES.get(body.get("status"), 0),
                     vendor_state=body.get("status") or "",
                     display_name=body.get("name") or "",
                     device=body.get("backend") or "")
        timestamp(job.create_time, body.get("submitted_at"))
        timestamp(job.start_time, body.get("started_at"))
        timestamp(job.end_time, body.get("completed_at"))
        return job

    server = grpc.aio.server()
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "jobfacade.v1.JobService",
        {"GetJob": grpc.unary_unary_rpc_method_handler(
            get_job, request_deserializer=pb.GetJobRequest.FromString,
            response_serializer=pb.Job.SerializeToString)}),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(f"listening on 127.0.0.1:{port}", flush=True)
    await server.wait_for_termination()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gen-dir", required=True)
    parser.add_argument("--vendor-url", required=True)
    parser.add_argument("--key", default="bench-key")
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
