#!/usr/bin/python3
"""A stranger's client on plain libzmq (python3-zmq) and msgpack, written
the way other people write contract clients, trying to act as a user
whose name is registered (owned names) without its password or token.

Speaks the wire contract only (REQ to the broker, SUB to the proxy, NULL
security): logs in as VICTIM without a password, publishes in CHANNEL as
VICTIM, sends a private message as VICTIM, reads VICTIM's private history
with PEER, and listens on VICTIM's topics (`VICTIM` and `$private/VICTIM`)
and on CHANNEL for LISTEN_MS. Prints one JSON object per line: {"event": ..., ...}.

usage: py_attacker.py FRONTEND XPUB VICTIM PEER CHANNEL LISTEN_MS
"""
import sys
import time

import msgpack
import zmq

from py_common import Peer, out, publications

TIMEOUT_MS = 5000


class Stranger(Peer):
    def request(self, service, **data):
        self.clock += 1
        data.update(timestamp=int(time.time() * 1000), clock=self.clock)
        self.req.send(msgpack.packb({"service": service, "data": data}, use_bin_type=True))
        reply = msgpack.unpackb(self.req.recv(), raw=False)
        self.clock = max(self.clock, int(reply.get("data", {}).get("clock", 0)))
        out("reply", service=reply.get("service"), data=reply.get("data"))
        return reply


def main():
    frontend, xpub, victim, peer, channel, listen_ms = sys.argv[1:7]
    s = Stranger(frontend, xpub, TIMEOUT_MS)
    try:
        s.subscribe(channel)  # public: proves the subscription is live
        s.subscribe(victim)
        s.subscribe("$private/" + victim)
        s.request("login", user=victim)
        s.request("publish", user=victim, channel=channel, message="forged post")
        s.request("message", src=victim, dst=peer, message="forged message")
        s.request("history", user=victim, peer=peer)
        out("listening")
        for topic, raw in publications(s.sub, int(listen_ms)):
            payload = msgpack.unpackb(raw, raw=False)
            out("delivery", topic=topic, data=payload.get("data") if isinstance(payload, dict) else payload)
        out("done")
        return 0
    except zmq.error.Again:
        out("error", text="request timed out")
        return 1
    finally:
        s.close()


if __name__ == "__main__":
    sys.exit(main())
