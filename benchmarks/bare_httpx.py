"""The floor for the shell-command figures: the same request in a short script with bare httpx.

    PLOW_TOKEN=... python benchmarks/bare_httpx.py chats BASE_URL
    PLOW_TOKEN=... python benchmarks/bare_httpx.py send BASE_URL CHAT_UID TEXT

`chats` is `GET /v1/chats` and prints one line per chat; `send` is
`POST /v1/chats/{uid}/messages` and prints the new message's uid: what
`plow-tui chats` and `plow-tui send` do, written the way a person would with
httpx and nothing else (its synchronous API, the token from the environment).
`benchmarks/run.py` times this script and the real commands as whole
processes, start to exit.
"""

import os
import sys

import httpx


def main() -> int:
    what, base_url = sys.argv[1], sys.argv[2]
    headers = {"Authorization": f"Bearer {os.environ['PLOW_TOKEN']}"}
    if what == "chats":
        response = httpx.get(f"{base_url}/v1/chats", headers=headers)
        response.raise_for_status()
        for chat in response.json()["data"]:
            print(chat["uid"], chat["status"])
    elif what == "send":
        chat_uid, text = sys.argv[3], sys.argv[4]
        response = httpx.post(f"{base_url}/v1/chats/{chat_uid}/messages", headers=headers, json={"body": text})
        response.raise_for_status()
        print("Sent", response.json()["uid"])
    else:
        raise SystemExit(f"unknown request {what!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
