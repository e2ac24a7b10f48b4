#!/usr/bin/env python3
"""A speaker for the handoff hub, written from docs/PROTOCOL.md and docs/CLIENTS.md alone.

It produces no real sound: its "output" is a position on a clock, and every start, stop and
volume change is logged and, when HANDOFF_PROBE_URL is set, reported to the conformance kit.

    HANDOFF_URL=ws://127.0.0.1:8080/v1/connect HANDOFF_TOKEN=... python3 speaker.py

Needs Python 3.9+ and the `websockets` package (Debian: apt install python3-websockets).
`--break fencing|arrival|pings` makes it deliberately wrong, to see the conformance kit fail it.
"""
import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sys
import time
import urllib.request

import websockets

PROTOCOL_VERSION = 1
# Close codes after which reconnecting would not help (docs/PROTOCOL.md, "Close codes").
FATAL_CLOSE_CODES = {4003, 4010, 4011, 4013, 4030, 4040}
UNAUTHORIZED = 4001
MAX_BACKOFF_MS = 2000
RESTART_IF_OFF_MS = 250


def now_ms():
    """One steady clock for everything: pongs, switch times, reports. asyncio's loop runs on it too."""
    return time.monotonic() * 1000.0


def line_at(position, server_time, duration_ms=None):
    """Where a position line {positionMs, atServerTime, rate} is at a server time."""
    ms = position["positionMs"] + max(0.0, server_time - position["atServerTime"]) * position.get("rate", 1)
    return min(ms, duration_ms) if duration_ms else ms


def log(line):
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


class Output:
    """The speaker's audio output: what plays, from where, since when (on the device clock)."""

    def __init__(self, report):
        self.report = report
        self.track = None
        self.start_position = 0.0
        self.started_at = 0.0
        self.volume = None

    @property
    def playing(self):
        return self.track is not None

    def position(self):
        return self.start_position + (now_ms() - self.started_at) if self.track else 0.0

    def start(self, track, position_ms):
        at = now_ms()
        self.track, self.start_position, self.started_at = track, position_ms, at
        log(f"sound: {track['uri']} from {position_ms / 1000:.3f} s")
        self.report({"event": "start", "at": at, "trackUri": track["uri"], "positionMs": position_ms})

    def stop(self):
        if not self.track:
            return
        at = now_ms()
        self.track = None
        log("sound: silent")
        self.report({"event": "stop", "at": at})

    def set_volume(self, percent):
        if percent == self.volume:
            return
        self.volume = percent
        log(f"volume: {percent}%")
        self.report({"event": "volume", "at": now_ms(), "percent": percent})


class Speaker:
    def __init__(self, url, token, device_id, name, broken, probe_url):
        self.url, self.token, self.id, self.name, self.broken = url, token, device_id, name, broken
        self.probe_url = probe_url
        self.output = Output(self.report)
        self.cluster = None
        self.offset_ms = 0.0  # device clock minus server clock (clock.sync)
        self.synced = False
        self.heartbeat_ms = 5000
        self.grace_ms = None
        self.last_heard = None
        self.ws = None
        self.welcomed = False
        self.prepared = {}  # transferId -> playback
        self.pending_switch = None  # (transferId, asyncio.TimerHandle)
        self.started_for = None
        self.stopped_for = None
        self.silence = None
        self.leaving = False

    # ------------------------------------------------------------------ connection

    async def run(self):
        attempt = 0
        while not self.leaving:
            code = await self.connect_once()
            if self.leaving:
                return
            if code in FATAL_CLOSE_CODES:
                log(f"closed {code}: not reconnecting")
                return
            if code == UNAUTHORIZED:
                log("token refused (4001): a new token is needed")
                return
            if self.welcomed:
                attempt = 0
            self.welcomed = False
            self.arm_silence()
            base = min(MAX_BACKOFF_MS, 100 * 2**attempt)
            attempt += 1
            wait = base / 2 + random.random() * base / 2
            log(f"reconnecting in {wait:.0f} ms (closed {code})")
            await asyncio.sleep(wait / 1000)

    async def connect_once(self):
        sep = "&" if "?" in self.url else "?"
        try:
            ws = await websockets.connect(f"{self.url}{sep}access_token={self.token}", open_timeout=5, max_size=1 << 20)
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as err:
            log(f"connect failed: {err}")
            return None
        self.ws = ws
        opened = now_ms()
        await self.send(self.hello())
        watchdog = asyncio.ensure_future(self.liveness(ws, opened))
        try:
            async for text in ws:
                self.last_heard = now_ms()
                try:
                    message = json.loads(text)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self.handle(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            watchdog.cancel()
            self.ws = None
        return ws.close_code

    async def liveness(self, ws, opened):
        """Rule 10: three heartbeats without a word from the hub and the socket is presumed dead."""
        while True:
            await asyncio.sleep(0.1)
            if now_ms() - max(self.last_heard or 0, opened) > 3 * self.heartbeat_ms:
                log("hub silent for 3 heartbeats: reconnecting")
                await ws.close(code=1001)
                return

    def hello(self):
        hello = {
            "type": "device.hello",
            "protocolVersion": PROTOCOL_VERSION,
            "device": {
                "id": self.id,
                "name": self.name,
                "kind": "speaker",
                "capabilities": {"canPlay": True, "volumeSteps": 100, "mediaTypes": ["audio/track"], "controllable": True},
            },
        }
        if self.cluster:
            hello["resume"] = {
                "revision": self.cluster["revision"],
                "playing": self.output.playing,
                "playback": self.cluster["playback"],
                "active": self.cluster.get("activeDeviceId") == self.id,
            }
        return hello

    async def send(self, message):
        if self.ws is not None:
            try:
                await self.ws.send(json.dumps(message))
            except websockets.ConnectionClosed:
                pass

    def send_soon(self, message):
        asyncio.ensure_future(self.send(message))

    # ------------------------------------------------------------------ grace period

    def arm_silence(self):
        """Rule 9: with no hub for graceMs after the last frame heard, the role is gone: go silent then."""
        if self.silence or self.grace_ms is None or self.last_heard is None:
            return
        delay = max(0.0, self.last_heard + self.grace_ms - now_ms())
        self.silence = asyncio.get_running_loop().call_later(delay / 1000, self.go_silent)

    def go_silent(self):
        self.silence = None
        if self.welcomed:
            return
        self.cancel_switch()
        if self.output.playing:
            log("no hub for the grace period: going silent")
            self.output.stop()

    # ------------------------------------------------------------------ messages

    def server_now(self):
        return now_ms() - self.offset_ms

    def handle(self, m):
        kind = m.get("type")
        if kind == "hub.welcome":
            self.welcomed = True
            self.heartbeat_ms = m["heartbeatMs"]
            self.grace_ms = m["graceMs"]
            if self.silence:
                self.silence.cancel()
                self.silence = None
            # Before the first clock.sync, the welcome's serverTime is the estimate (late by one trip).
            if not self.synced:
                self.offset_ms = now_ms() - m["serverTime"]
            log(f"welcomed as {m['deviceId']} (revision {m['cluster']['revision']})")
            self.apply(m["cluster"])
        elif kind == "cluster.update":
            self.apply(m["cluster"])
        elif kind == "clock.ping":
            if self.broken == "pings":
                return
            t1 = now_ms()
            self.send_soon({"type": "clock.pong", "pingId": m["pingId"], "t0": m["t0"], "t1": t1, "t2": now_ms()})
            # Rule 15: a member playing in the active group says where its sound is, with each pong.
            if self.in_active_group() and self.output.playing and self.broken != "reports":
                self.send_soon({"type": "playback.report", "positionMs": self.output.position(), "atServerTime": self.server_now()})
        elif kind == "clock.sync":
            self.offset_ms = m["offsetMs"]
            self.synced = True
        elif kind == "transfer.prepare":
            # Load and buffer without sound (instant here), set the volume it is to play at, and say ready.
            self.prepared[m["transferId"]] = m["playback"]
            self.output.set_volume(m["volume"])
            self.send_soon({"type": "transfer.ready", "transferId": m["transferId"]})
        elif kind == "transfer.switch":
            self.schedule_switch(m)
        elif kind == "transfer.abort":
            self.abort(m)
        elif kind == "playback.resync":
            self.resync(m)
        elif kind == "error":
            log(f"hub error {m.get('code')}: {m.get('message')}")
        elif kind == "hub.reconnect":
            log(f"hub asks to reconnect: {m.get('reason')}")
            if self.ws is not None:
                asyncio.ensure_future(self.ws.close(code=1001))
        # Anything else (command.result, types from a newer hub) is ignored, as are unknown fields.

    def apply(self, cluster):
        """Rules 4 and 5: fencing by revision, then follow the cluster."""
        if self.broken != "fencing" and self.cluster and cluster["revision"] < self.cluster["revision"]:
            log(f"ignored cluster of revision {cluster['revision']} (have {self.cluster['revision']})")
            return
        self.cluster = cluster
        me = next((d for d in cluster["devices"] if d["id"] == self.id), None)
        if me is not None:
            self.output.set_volume(me["volume"])
        self.reconcile()

    def reconcile(self):
        if self.pending_switch or not self.cluster:
            return
        playback = self.cluster["playback"]
        track = playback.get("track")
        if self.sounds() and track and playback["position"]["rate"] == 1:
            want = line_at(playback["position"], self.server_now(), track["durationMs"])
            out = self.output
            if not out.playing or out.track["uri"] != track["uri"] or abs(out.position() - want) > RESTART_IF_OFF_MS:
                out.start(track, want)
        else:
            self.output.stop()

    def in_active_group(self):
        """Whether this speaker plays in the active group: the active device is a group listing it in playingIds."""
        active = (self.cluster or {}).get("activeDeviceId")
        return any(g["id"] == active and self.id in g["playingIds"] for g in (self.cluster or {}).get("groups", []))

    def sounds(self):
        """Rule 5 with groups: play when this speaker is the active device or plays in the active group."""
        return self.cluster.get("activeDeviceId") == self.id or self.in_active_group()

    def resync(self, m):
        """Rule 15: at T on this clock, play the track from positionMs (plus lateness), if it still plays it."""
        local_t = m["atServerTime"] + self.offset_ms

        def fire():
            out = self.output
            if self.pending_switch or not out.playing or out.track["uri"] != m["trackUri"]:
                return
            out.start(out.track, m["positionMs"] + max(0.0, now_ms() - local_t))

        asyncio.get_running_loop().call_at(local_t / 1000, fire)

    def schedule_switch(self, m):
        """Rule 7: act at T on this device's clock (T + offset); the target starts at p(T), the source stops."""
        transfer_id, role = m["transferId"], m["role"]
        local_t = m["atServerTime"] + self.offset_ms
        if self.broken == "arrival":
            local_t = now_ms()
        playback = self.prepared.get(transfer_id)

        def fire():
            self.pending_switch = None
            if role == "stop":
                self.output.stop()
                self.stopped_for = transfer_id
                return
            self.prepared.clear()
            if not playback or not playback.get("track"):
                self.send_soon({"type": "transfer.failed", "transferId": transfer_id, "reason": "nothing prepared"})
                return
            late = max(0.0, now_ms() - local_t)
            self.output.start(playback["track"], m["positionMs"] + late)
            self.started_for = transfer_id
            self.send_soon({"type": "transfer.started", "transferId": transfer_id, "atServerTime": self.server_now()})

        self.cancel_switch()
        loop = asyncio.get_running_loop()
        handle = loop.call_at(local_t / 1000, fire)
        self.pending_switch = (transfer_id, handle)

    def cancel_switch(self):
        if self.pending_switch:
            self.pending_switch[1].cancel()
            self.pending_switch = None

    def abort(self, m):
        """Rule 8: the target unloads (or stops); a source that already stopped resumes on resumeAt."""
        transfer_id = m["transferId"]
        self.prepared.pop(transfer_id, None)
        if self.pending_switch and self.pending_switch[0] == transfer_id:
            self.cancel_switch()
        if self.started_for == transfer_id:
            self.output.stop()
        track = (self.cluster or {}).get("playback", {}).get("track")
        if self.stopped_for == transfer_id and m.get("resumeAt") and track:
            self.output.start(track, line_at(m["resumeAt"], self.server_now(), track["durationMs"]))
        self.reconcile()

    # ------------------------------------------------------------------ probe

    def report(self, event):
        if not self.probe_url:
            return
        body = json.dumps(event).encode()

        def post():
            try:
                request = urllib.request.Request(self.probe_url, data=body, headers={"content-type": "application/json"}, method="POST")
                urllib.request.urlopen(request, timeout=2).close()
            except OSError as err:
                log(f"probe: {err}")

        asyncio.get_running_loop().run_in_executor(None, post)

    async def leave(self):
        """Rule 12: a deliberate shutdown says goodbye, so the hub does not wait out the grace period."""
        self.leaving = True
        self.output.stop()
        if self.ws is not None:
            await self.send({"type": "device.goodbye"})
            await self.ws.close(code=1001)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--name", default="Python speaker")
    parser.add_argument("--id", default=os.environ.get("HANDOFF_DEVICE_ID") or f"python-speaker-{socket.gethostname()}")
    parser.add_argument("--break", dest="broken", choices=["fencing", "arrival", "pings", "reports"], help="misbehave on purpose")
    args = parser.parse_args()
    url, token = os.environ.get("HANDOFF_URL"), os.environ.get("HANDOFF_TOKEN")
    if not url or not token:
        parser.error("set HANDOFF_URL (ws://host:port/v1/connect) and HANDOFF_TOKEN")
    speaker = Speaker(url, token, args.id, args.name, args.broken, os.environ.get("HANDOFF_PROBE_URL"))
    loop = asyncio.get_running_loop()
    done = asyncio.ensure_future(speaker.run())
    loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(speaker.leave()))
    loop.add_signal_handler(signal.SIGINT, lambda: asyncio.ensure_future(speaker.leave()))
    await done


if __name__ == "__main__":
    asyncio.run(main())
