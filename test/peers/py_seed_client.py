#!/usr/bin/python3
"""A client in the seed team's dialect (dialects.md), in their Python style.

Their requests are flat maps, no {service, data}:
  {"command": "login", "username": ..., "timestamp": ...}
  {"command": "publish", "user": ..., "topic": <channel>, "payload": "ana: hi", ...}
  {"command": "message", "user": ..., "topic": <dst user>, "payload": ..., ...}
and so on; `timestamp` is their Lamport counter, bumped before each send
and raised to the reply's top-level `clock`. They read the reply's
top-level `status` ("OK" on success), `clock`, `users` / `channels`, and
`message` as the error text. Their subscriber takes `general` and their
own name, and for each delivery shows the payload's top-level `message`
line and `timestamp`. They publish to `general` without creating it.

Prints one JSON object per line for the conformance test:
  {"event": "reply", "step", "request", "reply", "types"}
  {"event": "timeout", "step"}
  {"event": "delivery", "topic", "message", "timestamp", "timestamp_type", "keys"}
  {"event": "subscribed"} / {"event": "waiting"} / {"event": "error", "text"} / {"event": "done"}
It makes no judgement of its own; "waiting" means it has sent everything
and now waits for a channel post containing EXPECT_TEXT.

usage: py_seed_client.py FRONTEND XPUB USERNAME FRIEND EXPECT_TEXT
"""
import sys
import time

import msgpack
import zmq

from py_common import out as show, publications, req_socket, sub_socket

FRONTEND, XPUB, USERNAME, FRIEND, EXPECT_TEXT = sys.argv[1:6]
TIMEOUT_MS = 10000

context = zmq.Context()
timestamp = 0


def connect_req():
    return req_socket(context, FRONTEND, TIMEOUT_MS)


socket = connect_req()
subscriber = sub_socket(context, XPUB)
deliveries = []


def send(step, request):
    global timestamp, socket
    timestamp += 1
    request["timestamp"] = timestamp
    socket.send(msgpack.packb(request))
    try:
        reply = msgpack.unpackb(socket.recv(), raw=False)
    except zmq.error.Again:
        show("timeout", step=step)
        socket.close()
        socket = connect_req()
        return {}
    if not isinstance(reply, dict):
        show("reply", step=step, request=request, reply=reply, types={})
        return {}
    types = {k: type(reply[k]).__name__ if k in reply else "missing" for k in ("clock", "timestamp", "status")}
    show("reply", step=step, request=request, reply=reply, types=types)
    try:
        timestamp = max(timestamp, reply["clock"])
    except (KeyError, TypeError):
        show("error", text="%s: reply has no usable clock" % step)
    return reply


def receive(timeout_ms):
    """Shows every delivery that arrives within timeout_ms."""
    for topic, raw in publications(subscriber, timeout_ms):
        if topic not in ("general", USERNAME):
            continue
        payload = msgpack.unpackb(raw, raw=False)
        if not isinstance(payload, dict):
            continue
        line = payload.get("message")
        ts = payload.get("timestamp")
        deliveries.append((topic, line))
        show("delivery", topic=topic, message=line, timestamp=ts,
             timestamp_type=type(ts).__name__ if "timestamp" in payload else "missing",
             keys=sorted(str(k) for k in payload))


def saw(topic, text):
    return any(t == topic and isinstance(line, str) and text in line for t, line in deliveries)


def wait_for(topic, text, timeout_ms):
    deadline = time.monotonic() + timeout_ms / 1000
    while not saw(topic, text) and time.monotonic() < deadline:
        receive(200)
    return saw(topic, text)


def main():
    send("login", {"command": "login", "username": USERNAME})
    send("users", {"command": "users"})
    send("channels", {"command": "channels"})

    subscriber.setsockopt_string(zmq.SUBSCRIBE, "general")
    subscriber.setsockopt_string(zmq.SUBSCRIBE, USERNAME)
    # The subscription takes a moment to reach the proxy: write to ourselves
    # until it comes back.
    for i in range(20):
        text = "%s: sync %d" % (USERNAME, i)
        send("sync", {"command": "message", "user": USERNAME, "topic": USERNAME, "payload": text})
        if wait_for(USERNAME, text, 500):
            show("subscribed")
            break
    else:
        show("error", text="subscription never took effect")

    send("publish-1", {"command": "publish", "user": USERNAME, "topic": "general",
                       "payload": "%s: hi from the seed client" % USERNAME})
    send("publish-2", {"command": "publish", "user": USERNAME, "topic": "general",
                       "payload": "%s: a second line" % USERNAME})
    send("message", {"command": "message", "user": USERNAME, "topic": FRIEND,
                     "payload": "%s: psst %s" % (USERNAME, FRIEND)})
    send("channel", {"command": "channel", "channel": USERNAME + "-room"})
    send("channels-after", {"command": "channels"})
    send("unknown", {"command": "frobnicate"})

    show("waiting")
    wait_for("general", "a second line", TIMEOUT_MS)
    wait_for("general", EXPECT_TEXT, 30000)
    receive(200)
    show("done", timestamp=timestamp)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        socket.close()
        subscriber.close()
        context.term()
