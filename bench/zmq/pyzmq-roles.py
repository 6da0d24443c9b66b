"""Benchmark roles on libzmq via python3-zmq; the proxy is libzmq's C
zmq_proxy. Same command line and output as ours-roles.ts (see there).
Run with /usr/bin/python3 (Debian's python3-zmq). BENCH_MECHANISM=CURVE
and the BENCH_*_SECRET/PUBLIC keys make binding sockets CURVE servers and
connecting ones CURVE clients, as in ours-roles.ts.
"""
import json
import os
import sys
import time

import zmq

role, ep = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
ctx = zmq.Context()
PAYLOAD = b"x" * 64
WARMUP = 0.3


def out(o):
    print(json.dumps(o), flush=True)


CURVE = os.environ.get("BENCH_MECHANISM") == "CURVE"


def sock(kind, binds=False, **opts):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    for k, v in opts.items():
        s.setsockopt(getattr(zmq, k), v)
    if CURVE and binds:
        s.setsockopt(zmq.CURVE_SERVER, 1)
        s.setsockopt(zmq.CURVE_SECRETKEY, os.environ["BENCH_SERVER_SECRET"].encode())
    elif CURVE:
        s.setsockopt(zmq.CURVE_SERVERKEY, os.environ["BENCH_SERVER_PUBLIC"].encode())
        s.setsockopt(zmq.CURVE_SECRETKEY, os.environ["BENCH_CLIENT_SECRET"].encode())
        s.setsockopt(zmq.CURVE_PUBLICKEY, os.environ["BENCH_CLIENT_PUBLIC"].encode())
    return s


if role == "proxy":
    front = sock(zmq.ROUTER, True, SNDHWM=100000, RCVHWM=100000)
    back = sock(zmq.DEALER, True, SNDHWM=100000, RCVHWM=100000)
    front.bind(ep)
    back.bind(args[0])
    out({"ready": True})
    zmq.proxy(front, back)

elif role == "worker":
    reps = []
    poller = zmq.Poller()
    for _ in range(int(args[0])):
        s = sock(zmq.REP)
        s.connect(ep)
        poller.register(s, zmq.POLLIN)
        reps.append(s)
    out({"ready": True})
    while True:
        for s, _ in poller.poll():
            s.send_multipart(s.recv_multipart())

elif role == "client":
    n, ms = int(args[0]), int(args[1])
    reqs = []
    for _ in range(n):
        s = sock(zmq.REQ)
        s.connect(ep)
        reqs.append(s)
    for s in reqs:
        s.send(PAYLOAD)
        s.recv()
    poller = zmq.Poller()
    for s in reqs:
        poller.register(s, zmq.POLLIN)
        s.send(PAYLOAD)
    count = 0
    t0 = time.monotonic()
    end = t0 + ms / 1000.0
    while time.monotonic() < end:
        for s, _ in poller.poll(100):
            s.recv_multipart()
            count += 1
            s.send(PAYLOAD)
    out({"count": count, "seconds": time.monotonic() - t0})

elif role == "pipeline":
    window, ms = int(args[0]), int(args[1])
    d = sock(zmq.DEALER, SNDHWM=100000, RCVHWM=100000)
    d.connect(ep)
    d.send_multipart([b"", PAYLOAD])
    d.recv_multipart()
    for _ in range(window):
        d.send_multipart([b"", PAYLOAD])
    count = 0
    t0 = time.monotonic()
    end = t0 + ms / 1000.0
    while time.monotonic() < end:
        if d.poll(100):
            while True:
                try:
                    d.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                count += 1
                d.send_multipart([b"", PAYLOAD])
    out({"count": count, "seconds": time.monotonic() - t0})

elif role == "pub":
    s = sock(zmq.PUB, True)
    s.bind(ep)
    msg = b"x" * int(args[0] if args else 64)
    out({"ready": True})
    while True:
        s.send(msg)

elif role == "sub":
    n, ms = int(args[0]), int(args[1])
    poller = zmq.Poller()
    for _ in range(n):
        s = sock(zmq.SUB, RCVHWM=100000)
        s.setsockopt(zmq.SUBSCRIBE, b"")
        s.connect(ep)
        poller.register(s, zmq.POLLIN)
    out({"ready": True})
    count = 0
    start = None
    t0 = end = None
    while True:
        now = time.monotonic()
        if end is not None and now >= end:
            break
        if start is not None and t0 is None and now >= start:
            t0 = now
            end = t0 + ms / 1000.0
        for s, _ in poller.poll(50):
            k = 0
            while True:
                try:
                    s.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                k += 1
            if start is None:
                start = time.monotonic() + WARMUP
            if t0 is not None:
                count += k
    out({"count": count, "seconds": time.monotonic() - t0})

else:
    sys.exit("unknown role " + role)
