#!/usr/bin/env python3
"""Soak driver of scripts/soak: the hostile-input mix against a running perch for a bounded time.

Usage: soak.py PORT PID SECONDS

Hostile workers, each looping until the deadline, unsynchronised (random pauses):
  garbage      random bytes on a fresh connection, then close
  malformed    a valid CONNECT, then one malformed packet (bad length, reserved flags,
               invalid UTF-8, QoS 3, a second CONNECT of an unknown version ...)
  halfopen     a partial CONNECT, or nothing at all, held open (slowloris) until perch closes it
  oversize     a PUBLISH that declares 200 MB and sends a little of it
  takeover     the same client id connecting again and again (persistent session)
  subscribe    hundreds of filters, deep topics, then a flood of QoS 1 publishes it never acks
  abandoned    QoS 2 PUBLISH without PUBREL, QoS 1 without reading, then a drop

A control client (3.1.1, QoS 1) publishes to a topic it subscribes to and waits for the
message back, continuously; every round trip it completes is a served one. Every 10 s a line
reports RSS and open fds of perch (from /proc), connections attempted, round trips served and
the worst round trip of the interval. Exit status 1 if perch died, a control round trip took
longer than 5 s, or none was served in an interval.
"""
import os
import random
import socket
import struct
import sys
import threading
import time

PORT, PID, SECONDS = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
DEADLINE = time.monotonic() + SECONDS
lock = threading.Lock()
stats = {"connections": 0, "round_trips": 0, "worst": 0.0, "failures": []}


def count(key, n=1):
    with lock:
        stats[key] += n


def varint(n):
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(s):
    data = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(data)) + data


def packet(header, body):
    return bytes([header]) + varint(len(body)) + body


def connect_packet(client_id, version=4, clean=True, keepalive=30):
    flags = 0x02 if clean else 0x00
    body = utf8("MQTT") + bytes([version, flags]) + struct.pack("!H", keepalive)
    if version == 5:
        body += b"\x00"  # no properties
    return packet(0x10, body + utf8(client_id))


def publish_packet(topic, payload, qos=0, packet_id=1, retain=False):
    body = utf8(topic) + (struct.pack("!H", packet_id) if qos else b"") + payload
    return packet(0x30 | (qos << 1) | (1 if retain else 0), body)


def subscribe_packet(packet_id, filters, qos=1):
    body = struct.pack("!H", packet_id) + b"".join(utf8(f) + bytes([qos]) for f in filters)
    return packet(0x82, body)


def open_socket(timeout=5):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    count("connections")
    return s


def read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def read_packet(s):
    header = read_exact(s, 1)[0]
    length, shift = 0, 0
    while True:
        byte = read_exact(s, 1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return header, read_exact(s, length)


def mqtt_session(client_id, version=4, clean=True):
    s = open_socket()
    s.sendall(connect_packet(client_id, version, clean))
    header, body = read_packet(s)
    if header != 0x20:
        raise ConnectionError("no CONNACK")
    return s


def drain_until_closed(s, limit=15.0):
    """Reads until perch closes (or the limit passes); whether it closed."""
    s.settimeout(limit)
    try:
        while s.recv(65536):
            pass
        return True
    except OSError:
        return False
    finally:
        s.close()


def pause(rng, low=0.0, high=0.05):
    time.sleep(rng.uniform(low, high))


def worker(name, number, body):
    rng = random.Random(f"{name}-{number}-{os.getpid()}")
    while time.monotonic() < DEADLINE:
        try:
            body(rng)
        except OSError:
            pass  # perch closing a hostile connection is the expected outcome
        pause(rng)


def garbage(rng):
    s = open_socket()
    s.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 2048))))
    drain_until_closed(s, 2)


MALFORMED = [
    bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),             # remaining length of five bytes
    bytes([0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 0x61]),       # SUBSCRIBE without options byte
    bytes([0x80, 0x02, 0x00, 0x01]),                         # SUBSCRIBE with reserved flags 0
    publish_packet(b"a/\xed\xb3\xbf", b"x"),                 # a UTF-16 surrogate in the topic
    bytes([0x36, 0x05]) + utf8("a") + b"\x00\x01",           # QoS 3
    publish_packet("a/+/b", b"wildcard in a topic name"),
    connect_packet("again", version=9),                      # a second CONNECT, unknown version
    bytes([0xF0, 0x00]),                                     # AUTH on 3.1.1
    bytes([0x62, 0x02, 0x00, 0x00]),                         # PUBREL with packet id 0
]


def malformed(rng):
    version = rng.choice([4, 5])
    s = mqtt_session(f"bad-{rng.getrandbits(16)}", version)
    s.sendall(rng.choice(MALFORMED))
    drain_until_closed(s, 5)


def halfopen(rng):
    s = open_socket(timeout=30)
    if rng.random() < 0.5:
        partial = connect_packet("slow")
        s.sendall(partial[: rng.randint(1, len(partial) - 1)])
    drain_until_closed(s, 30)  # perch's connect timeout closes it


def oversize(rng):
    s = mqtt_session(f"big-{rng.getrandbits(16)}")
    s.sendall(bytes([0x30]) + varint(200_000_000) + utf8("big") + b"x" * rng.randint(0, 4096))
    drain_until_closed(s, 5)


def takeover(rng):
    s = mqtt_session("taken", clean=False)
    s.sendall(subscribe_packet(1, ["take/#"]))
    pause(rng, 0, 0.2)
    s.close()


def subscribe(rng):
    s = mqtt_session(f"many-{rng.getrandbits(8)}", clean=True)
    filters = [f"deep/{'/'.join(str(rng.randint(0, 9)) for _ in range(rng.randint(1, 60)))}" for _ in range(300)]
    filters += ["#", "+/+/#", "$SYS/#"]
    s.sendall(subscribe_packet(1, filters))
    for i in range(200):
        s.sendall(publish_packet(f"deep/{i % 10}", b"p" * 64, qos=1, packet_id=i + 1))
    time.sleep(rng.uniform(0.1, 1.0))  # never acknowledges what it receives
    s.close()


def abandoned(rng):
    s = mqtt_session(f"gone-{rng.getrandbits(8)}", clean=rng.random() < 0.5)
    for i in range(50):
        s.sendall(publish_packet("gone/x", b"q2", qos=2, packet_id=i + 1))
    s.close()


def control():
    """Round trips through perch until the deadline; a failure ends them, recorded."""
    try:
        control_loop()
    except (OSError, ConnectionError) as error:
        with lock:
            stats["failures"].append(f"the control client failed: {error!r}")


def control_loop():
    """Records each round trip and the worst per interval."""
    s = mqtt_session("soak-control")
    s.sendall(subscribe_packet(1, ["soak/control"]))
    read_packet(s)  # SUBACK
    s.settimeout(10)
    packet_id = 0
    while time.monotonic() < DEADLINE:
        packet_id = packet_id % 65535 + 1
        started = time.monotonic()
        s.sendall(publish_packet("soak/control", struct.pack("!d", started), qos=1, packet_id=packet_id))
        got_back, acked = False, False
        while not (got_back and acked):
            header, body = read_packet(s)
            if header >> 4 == 3:  # our message, QoS 1: acknowledge it
                got_back = True
                topic_length = struct.unpack("!H", body[:2])[0]
                s.sendall(packet(0x40, body[2 + topic_length: 4 + topic_length]))
            elif header >> 4 == 4:
                acked = True
        elapsed = time.monotonic() - started
        with lock:
            stats["round_trips"] += 1
            stats["worst"] = max(stats["worst"], elapsed)
            if elapsed > 5:
                stats["failures"].append(f"a control round trip took {elapsed:.1f} s")
        time.sleep(0.01)


def proc(path):
    try:
        with open(f"/proc/{PID}/{path}") as f:
            return f.read()
    except OSError:
        return None


def main():
    hostile = {"garbage": garbage, "malformed": malformed, "halfopen": halfopen, "oversize": oversize,
               "takeover": takeover, "subscribe": subscribe, "abandoned": abandoned}
    threads = [threading.Thread(target=worker, args=(name, number, body), daemon=True)
               for name, body in hostile.items() for number in range(8 if name == "halfopen" else 2)]
    threads.append(threading.Thread(target=control, daemon=True))
    for t in threads:
        t.start()
    failed = False
    interval_start, served_before = time.monotonic(), 0
    print(f"{'s':>5} {'rss MB':>7} {'fds':>5} {'conns':>7} {'served':>7} {'worst ms':>9}", flush=True)
    while time.monotonic() < DEADLINE + 1:
        time.sleep(min(10, max(0.1, DEADLINE + 1 - time.monotonic())))
        status = proc("status")
        if status is None:
            print("soak: perch is gone", flush=True)
            return 1
        rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")) / 1024
        fds = len(os.listdir(f"/proc/{PID}/fd"))
        with lock:
            served, worst, conns = stats["round_trips"], stats["worst"], stats["connections"]
            stats["worst"] = 0.0
            failures = list(stats["failures"])
        print(f"{time.monotonic() - interval_start:5.0f} {rss:7.1f} {fds:5d} {conns:7d} {served:7d} {worst * 1000:9.1f}",
              flush=True)
        if served == served_before and time.monotonic() < DEADLINE:  # the control loop ends at DEADLINE
            print("soak: no control round trip served in this interval", flush=True)
            failed = True
        served_before = served
        if failures:
            print("soak: " + "; ".join(failures[:5]), flush=True)
            failed = True
    print(f"soak: {stats['round_trips']} control round trips served, {stats['connections']} connections opened",
          flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
