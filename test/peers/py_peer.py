"""libzmq reference peer (python3-zmq) for interop tests.

Usage: py_peer.py MODE ENDPOINT [ARG]
  rep  tcp://127.0.0.1:0   bind REP, print the port, answer 3 requests with ["py", *request]
  req  ENDPOINT            connect REQ (heartbeats every 50 ms), stay idle 1 s, send "ping",
                           print the reply and whether libzmq saw a disconnect
  sub  ENDPOINT TOPIC      connect SUB, subscribe TOPIC, print the first message received
  serve                    long-lived command peer: JSON-line commands on stdin, replies on
                           stdout (the protocol is described in test/peers/command-peer.ts)
Each line printed is JSON. Exits non-zero on timeout.
"""
import json
import sys
import time

import zmq
from zmq.utils.monitor import recv_monitor_message

mode = sys.argv[1]
endpoint = sys.argv[2] if len(sys.argv) > 2 else ""
ctx = zmq.Context()
TIMEOUT = 5000


def out(obj):
    print(json.dumps(obj), flush=True)


def dec(parts):
    return [p.decode("utf-8", "replace") for p in parts]


if mode == "rep":
    s = ctx.socket(zmq.REP)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT)
    s.bind(endpoint)
    out({"port": int(s.getsockopt(zmq.LAST_ENDPOINT).decode().rsplit(":", 1)[1])})
    for _ in range(3):
        s.send_multipart([b"py"] + s.recv_multipart())
elif mode == "req":
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.HEARTBEAT_IVL, 50)
    s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 300)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT)
    mon = s.get_monitor_socket()
    s.connect(endpoint)
    time.sleep(1.0)
    s.send_multipart([b"ping", b""])
    reply = s.recv_multipart()
    events = []
    while mon.poll(0):
        events.append(recv_monitor_message(mon)["event"])
    out({
        "reply": dec(reply),
        "handshakes": events.count(zmq.EVENT_HANDSHAKE_SUCCEEDED),
        "disconnects": events.count(zmq.EVENT_DISCONNECTED),
    })
elif mode == "sub":
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT)
    s.connect(endpoint)
    s.setsockopt(zmq.SUBSCRIBE, sys.argv[3].encode())
    out({"msg": dec(s.recv_multipart())})
elif mode == "serve":
    from py_serve import serve

    serve(ctx)
else:
    sys.exit("unknown mode " + mode)
