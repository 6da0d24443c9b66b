"""Command-driven libzmq peer (python3-zmq) for the interop matrix.

One process serves many sockets. Commands arrive as JSON lines on stdin and
each gets one JSON reply line on stdout carrying the same "id". The command
set and frame encoding are described in test/peers/command-peer.ts.
A single-threaded loop polls stdin and every socket, so a pending receive
never blocks the other sockets (an echoing REP can answer a REQ in the
same process).
"""
import hashlib
import json
import os
import sys
import time
from collections import deque

import zmq


def gen(length, seed):
    block = bytes((i * 31 + seed) & 255 for i in range(256))
    reps = length // 256 + 1
    return (block * reps)[:length]


def to_bytes(spec):
    if isinstance(spec, str):
        return spec.encode()
    return gen(spec["gen"], spec.get("seed", 0))


def summary(b):
    if len(b) <= 64:
        return "hex:" + b.hex()
    return "sha:%d:%s" % (len(b), hashlib.sha256(b).hexdigest()[:16])


class Sock:
    def __init__(self, s):
        self.s = s
        self.recvq = deque()  # (id, deadline)
        self.sendq = deque()  # (id or None, [bytes])
        self.echo = False
        self.tag = None


def serve(ctx):
    socks = {}
    buf = b""

    def reply(rid, ok=True, **kw):
        if rid is None:
            return
        out = {"id": rid, "ok": ok}
        out.update(kw)
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()

    def handle(cmd):
        rid = cmd.get("id")
        op = cmd["op"]
        name = cmd.get("name")
        if op == "socket":
            s = ctx.socket(getattr(zmq, cmd["type"]))
            s.setsockopt(zmq.LINGER, 0)
            opts = cmd.get("opts", {})
            if "routingId" in opts:
                s.setsockopt(zmq.ROUTING_ID, opts["routingId"].encode())
            if "maxMessageSize" in opts:
                s.setsockopt(zmq.MAXMSGSIZE, opts["maxMessageSize"])
            if "reconnectInterval" in opts:
                s.setsockopt(zmq.RECONNECT_IVL, opts["reconnectInterval"])
            socks[name] = Sock(s)
            return reply(rid)
        if op == "exit":
            reply(rid)
            os._exit(0)
        sk = socks[name]
        if op == "bind":
            sk.s.bind(cmd["endpoint"])
            return reply(rid, endpoint=sk.s.getsockopt(zmq.LAST_ENDPOINT).decode())
        if op == "connect":
            sk.s.connect(cmd["endpoint"])
            return reply(rid)
        if op == "subscribe":
            sk.s.setsockopt(zmq.SUBSCRIBE, cmd["topic"].encode())
            return reply(rid)
        if op == "send":
            sk.sendq.append((rid, [to_bytes(f) for f in cmd["frames"]]))
            return
        if op == "recv":
            sk.recvq.append((rid, time.monotonic() + cmd.get("timeout", 5000) / 1000.0))
            return
        if op == "echo":
            sk.echo = True
            sk.tag = cmd["tag"].encode() if "tag" in cmd else None
            return reply(rid)
        if op == "close":
            sk.s.close(0)
            del socks[name]
            return reply(rid)
        reply(rid, False, error="unknown op " + op)

    def work(sk):
        while sk.sendq:
            rid, frames = sk.sendq[0]
            try:
                sk.s.send_multipart(frames, zmq.NOBLOCK)
            except zmq.Again:
                return
            sk.sendq.popleft()
            reply(rid)
        while sk.recvq or sk.echo:
            try:
                msg = sk.s.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            if sk.recvq:
                rid, _ = sk.recvq.popleft()
                reply(rid, frames=[summary(p) for p in msg])
            else:
                sk.sendq.append((None, msg if sk.tag is None else msg + [sk.tag]))
                work(sk)
                if sk.sendq:
                    return
        now = time.monotonic()
        while sk.recvq and sk.recvq[0][1] <= now:
            rid, _ = sk.recvq.popleft()
            reply(rid, False, error="EAGAIN")

    while True:
        poller = zmq.Poller()
        poller.register(0, zmq.POLLIN)
        deadline = None
        for sk in socks.values():
            flags = 0
            if sk.recvq or sk.echo:
                flags |= zmq.POLLIN
            if sk.sendq:
                flags |= zmq.POLLOUT
            if flags:
                poller.register(sk.s, flags)
            if sk.recvq:
                d = sk.recvq[0][1]
                deadline = d if deadline is None else min(deadline, d)
        timeout = 1000 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000) + 1)
        ready = dict(poller.poll(timeout))
        if 0 in ready:
            chunk = os.read(0, 1 << 16)
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                    continue
                cmd = json.loads(line)
                try:
                    handle(cmd)
                except Exception as e:  # report, keep serving
                    reply(cmd.get("id"), False, error=repr(e))
        for sk in list(socks.values()):
            try:
                work(sk)
            except zmq.ZMQError as e:
                if sk.recvq:
                    rid, _ = sk.recvq.popleft()
                    reply(rid, False, error=repr(e))
