"""`--state FILE`: the world survives a restart, and the file holds no credential."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sandbox_helpers import ADA, BOB, Api, SignedIn
from support.waits import wait_until

from plow_tui.sandbox import SandboxConfig, SandboxServer
from plow_tui.sandbox.persistence import StateFileError


def delivered(api: Api, who: SignedIn, uid: str) -> bool:
    page = api.http.get(f"/v1/chats/{who.chat_uid}/messages", headers=who.headers).json()
    return any(m["uid"] == uid and m["status"] == "delivered" for m in page["data"])

def test_the_world_round_trips_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    config = SandboxConfig(port=0, seed=3, state_file=str(path), delivery_delay_ms=0)
    with SandboxServer(config) as first:
        api = Api(first.base_url)  # type: ignore[arg-type]
        ada = api.sign_in(ADA)
        line = api.lines(ada)[3]
        pending = api.create_chat(ada, line["uid"], "Bob").json()
        sent = api.send(ada, ada.chat_uid, "before the restart").json()
        api.sms(ADA, ada.line_number, "reply")
        revoked = api.sign_in(ADA)
        api.faults(revoke_token=revoked.token)
        unfinished = api.activate(provision=False)
        wait_until(lambda: delivered(api, ada, sent["uid"]), "the delivery update to land before stopping")
        before = api.state()
        api.http.close()
    saved = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for secret in (ada.token, revoked.token, unfinished["activation_secret"]):
        assert secret not in saved
    json.loads(saved)

    with SandboxServer(config) as second:
        api = Api(second.base_url)  # type: ignore[arg-type]
        assert api.state() == before
        page = api.http.get(f"/v1/chats/{ada.chat_uid}/messages", headers=ada.headers).json()
        assert [m["body"] for m in page["data"]] == ["reply", "before the restart"]
        assert page["data"][1]["uid"] == sent["uid"] and page["data"][1]["status"] == "delivered"
        assert api.http.get("/v1/lines", headers=revoked.headers).status_code == 401
        # Codes and activations still live: Bob verifies, the pending activation completes.
        assert api.sms(BOB, line["provider_key"], pending["participants"][0]["verification_code"]) == "member_verified"
        assert api.sms(ADA, unfinished["send_to"], f"Plow Activate: {unfinished['display_code']}") == "activated"
        assert api.redeem(unfinished["activation_secret"]).json()["status"] == "verified"
        assert [t["text"] for t in api.texts(ADA)] == ["before the restart"]
        # New ids never collide with restored ones, even with the same seed.
        again = api.sign_in(BOB, "Bob")
        assert again.chat_uid not in {ada.chat_uid, pending["uid"]}
        api.http.close()


def test_a_corrupt_state_file_is_refused_at_construction(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    path.write_text(json.dumps({"format": 1, "lines": "nope"}))
    with pytest.raises(StateFileError):
        SandboxServer(SandboxConfig(port=0, state_file=str(path)))
    path.write_text("[]")
    with pytest.raises(StateFileError):
        SandboxServer(SandboxConfig(port=0, state_file=str(path)))


def test_a_restart_after_a_crash_never_reuses_ids(tmp_path: Path) -> None:
    # Ids handed out after the last save are lost with a crash (SIGKILL); the
    # restored world must not hand them out again, even with the same seed.
    from plow_tui.sandbox.persistence import load, restore, save, snapshot
    from plow_tui.sandbox.world import World

    path = tmp_path / "world.json"
    config = SandboxConfig(port=0, seed=3, state_file=str(path))
    first = World(config)
    save(path, snapshot(first))
    lost = {first.new_id("msg") for _ in range(20)}  # acknowledged, then the process died unsaved
    restarted = World(config)
    data = load(path)
    assert data is not None
    restore(restarted, data)
    assert not lost & {restarted.new_id("msg") for _ in range(20)}
