"""Another team's chat server, the plainest way (python3-zmq, libzmq):
one socket connected to the broker's backend, a REP, or a DEALER that
sends back the envelope it was given, and no heartbeats. Answers `users`
and `channels` with fixed lists (its own name in the user list, so a
client can tell who answered), anything else with an error.

Usage: py_broker_worker.py --mode rep|dealer --connect ENDPOINT --name NAME

Prints one JSON line when connected and one per request answered.
Exits 0 on SIGTERM.
"""
import argparse
import json
import signal
import sys
import time

import msgpack
import zmq

ap = argparse.ArgumentParser()
ap.add_argument("--mode", choices=["rep", "dealer"], required=True)
ap.add_argument("--connect", required=True)
ap.add_argument("--name", required=True)
args = ap.parse_args()

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

ctx = zmq.Context()
sock = ctx.socket(zmq.REP if args.mode == "rep" else zmq.DEALER)
sock.setsockopt(zmq.LINGER, 0)
sock.connect(args.connect)
print(json.dumps({"event": "ready", "name": args.name, "mode": args.mode}), flush=True)

clock = 0
answered = 0
while True:
    frames = sock.recv_multipart()
    if args.mode == "dealer":
        # [broker's frames..., "", body]: everything up to the delimiter goes back as it came.
        split = frames.index(b"") if b"" in frames else len(frames) - 1
        envelope, body = frames[: split + 1], frames[split + 1 :]
    else:
        envelope, body = [], frames
    try:
        req = msgpack.unpackb(body[0], raw=False)
        service = str(req.get("service", "?"))
        their = req.get("data", {}).get("clock", 0)
        clock = max(clock, int(their) if isinstance(their, (int, float)) else 0)
    except Exception:
        service = "?"
    clock += 1
    now = int(time.time() * 1000)
    if service == "users":
        data = {"status": "sucesso", "users": [args.name]}
    elif service == "channels":
        data = {"status": "sucesso", "channels": ["foreign"]}
    else:
        data = {"status": "erro", "description": "%s does not serve %s" % (args.name, service)}
    data.update({"timestamp": now, "clock": clock})
    sock.send_multipart(envelope + [msgpack.packb({"service": service, "data": data}, use_bin_type=True)])
    answered += 1
    print(json.dumps({"event": "answered", "service": service, "n": answered}), flush=True)
