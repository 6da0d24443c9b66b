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
import zmq.utils.z85


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
        self.monitor = None  # libzmq monitor socket when opts.monitor is set


SECURITY_OPTS = {
    "curveServer": zmq.CURVE_SERVER,
    "curveSecretKey": zmq.CURVE_SECRETKEY,
    "curvePublicKey": zmq.CURVE_PUBLICKEY,
    "curveServerKey": zmq.CURVE_SERVERKEY,
    "plainServer": zmq.PLAIN_SERVER,
    "plainUsername": zmq.PLAIN_USERNAME,
    "plainPassword": zmq.PLAIN_PASSWORD,
    "zapDomain": zmq.ZAP_DOMAIN,
}


def monitor_events(mon):
    """Drain a monitor socket into {event, status?} dicts."""
    from zmq.utils.monitor import recv_monitor_message

    names = {
        zmq.EVENT_HANDSHAKE_SUCCEEDED: "handshake",
        zmq.EVENT_HANDSHAKE_FAILED_AUTH: "auth-failed",
        zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL: "protocol-error",
        zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL: "handshake-failed",
        zmq.EVENT_DISCONNECTED: "disconnect",
    }
    out = []
    while mon.poll(0):
        ev = recv_monitor_message(mon)
        name = names.get(ev["event"])
        if name == "auth-failed":
            out.append({"event": name, "status": ev["value"]})
        elif name:
            out.append({"event": name})
    return out


class Zap:
    """A ZAP handler (RFC 27) on inproc://zeromq.zap.01 with a configurable policy."""

    def __init__(self, ctx):
        self.s = ctx.socket(zmq.REP)
        self.s.setsockopt(zmq.LINGER, 0)
        self.s.bind("inproc://zeromq.zap.01")
        self.policy = {}
        self.log = []

    def answer(self):
        req = self.s.recv_multipart()
        version, rid, domain, address, identity, mechanism = req[:6]
        creds = req[6:]
        p = self.policy
        mech = mechanism.decode()
        if mech == "CURVE":
            key = zmq.utils.z85.encode(creds[0]).decode()
            ok = "allowKeys" not in p or key in p["allowKeys"]
            user = key
        elif mech == "PLAIN":
            user = creds[0].decode()
            ok = p.get("users", {}).get(user) == creds[1].decode()
        else:
            user, ok = "", True
        self.log.append({"event": "zap", "mechanism": mech, "user": user, "allowed": ok, "domain": domain.decode()})
        user_id = p.get("userId", user) if ok else ""
        self.s.send_multipart([version, rid, b"200" if ok else b"400", b"OK" if ok else b"denied", user_id.encode(), b""])


def serve(ctx):
    socks = {}
    buf = b""
    zap = [None]

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
            if "heartbeatInterval" in opts:
                s.setsockopt(zmq.HEARTBEAT_IVL, opts["heartbeatInterval"])
            if "heartbeatTimeout" in opts:
                s.setsockopt(zmq.HEARTBEAT_TIMEOUT, opts["heartbeatTimeout"])
            for k, o in SECURITY_OPTS.items():
                if k in opts:
                    v = opts[k]
                    s.setsockopt(o, int(v) if isinstance(v, bool) else v.encode())
            sk = Sock(s)
            if opts.get("monitor"):
                sk.monitor = s.get_monitor_socket()
            socks[name] = sk
            return reply(rid)
        if op == "zap":
            if zap[0] is None:
                zap[0] = Zap(ctx)
            zap[0].policy = cmd.get("policy", {})
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
        if op == "events":
            evs = monitor_events(sk.monitor) if sk.monitor is not None else []
            if zap[0] is not None:
                evs = zap[0].log + evs
                zap[0].log = []
            return reply(rid, events=evs)
        if op == "close":
            if sk.monitor is not None:
                sk.s.disable_monitor()
                sk.monitor.close(0)
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
        if zap[0] is not None:
            poller.register(zap[0].s, zmq.POLLIN)
        timeout = 1000 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000) + 1)
        ready = dict(poller.poll(timeout))
        if zap[0] is not None and zap[0].s in ready:
            zap[0].answer()
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
