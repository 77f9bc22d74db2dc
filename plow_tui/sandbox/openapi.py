"""The sandbox's own OpenAPI 3.1 document for the `/v1` routes (served at /openapi.json)."""

from __future__ import annotations

from typing import Any

_BEARER = [{"bearerAuth": []}]
CHAT_PATH = ("chat_uid",)


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _json(_ref("Error"), "error") for code in codes}


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _op(
    summary: str,
    ok: tuple[int, dict[str, Any]],
    *,
    auth: bool = True,
    body: dict[str, Any] | None = None,
    params: tuple[str, ...] = (),
    errors: tuple[int, ...] = (),
    query: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {str(ok[0]): _json(ok[1], "success"), **_errors(*errors)}}
    if auth:
        op["security"] = _BEARER
        op["responses"].update(_errors(401))
    else:
        op["security"] = []
    parameters = [_path_param(p) for p in params] + (query or [])
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _list_of(name: str) -> dict[str, Any]:
    return _obj(
        object={"const": "list"},
        data={"type": "array", "items": _ref(name)},
        has_more={"type": "boolean"},
        url={"type": "string"},
    )


def openapi_document() -> dict[str, Any]:
    str_ = {"type": "string"}
    nullable_str = {"type": ["string", "null"]}
    schemas = {
        "Error": _obj(detail={"oneOf": [str_, _obj(code=str_, message=str_)]}),
        "Line": _obj(
            object={"const": "line"},
            uid=str_,
            provider_type=str_,
            provider_key=str_,
            display_name=nullable_str,
            agent_uid=nullable_str,
        ),
        "Member": _obj(
            type={"const": "member"},
            uid=str_,
            object={"const": "chat_participant"},
            status={"enum": ["pending_verification", "active"]},
            display_name=nullable_str,
            role={"enum": ["owner", "member"]},
            provider_type=str_,
            provider_key=nullable_str,
            verified_at=nullable_str,
            joined_at=nullable_str,
            verification_code=str_,
            verification_code_expires_at=str_,
        ),
        "Chat": _obj(
            uid=str_,
            object={"const": "chat"},
            status={"enum": ["pending", "active", "failed"]},
            display_name=nullable_str,
            failure_reason=nullable_str,
            provider_key=str_,
            participants={"type": "array", "items": {"type": "object"}},
            created_at=str_,
        ),
        "Message": _obj(
            uid=str_,
            object={"const": "message"},
            chat_uid=str_,
            direction={"enum": ["inbound", "outbound"]},
            body=str_,
            status=str_,
            sender={"type": "object"},
            created_at=str_,
        ),
    }
    paths = {
        "/v1/auth/activate": {
            "post": _op(
                "Start activation: the human texts `Plow Activate: <display_code>` to `send_to`.",
                (200, _obj(display_code=str_, activation_secret=str_, send_to=str_, line_id=str_)),
                auth=False,
                body=_obj(name=str_, provision_chat={"type": "boolean"}),
                errors=(422, 503),
            )
        },
        "/v1/auth/activate/redeem": {
            "post": _op(
                "Poll an activation; the first verified answer carries the token.",
                (200, _obj(status={"enum": ["pending", "verified"]}, token=str_, chat=_ref("Chat"))),
                auth=False,
                body=_obj(activation_secret=str_),
                errors=(404, 410, 422),
            )
        },
        "/v1/lines": {"get": _op("List lines.", (200, _list_of("Line")))},
        "/v1/chats": {
            "get": _op("List pending and active chats.", (200, _list_of("Chat"))),
            "post": _op(
                "Create a chat: one agent (line) and one or more members.",
                (201, _ref("Chat")),
                body=_obj(participants={"type": "array", "items": {"type": "object"}}, display_name=str_),
                errors=(422,),
            ),
        },
        "/v1/chats/{chat_uid}": {
            "get": _op("Read a chat.", (200, _ref("Chat")), params=CHAT_PATH, errors=(404,)),
            "delete": _op(
                "Delete a chat.", (200, _obj(uid=str_, deleted={"type": "boolean"})), params=CHAT_PATH, errors=(404,)
            ),
        },
        "/v1/chats/{chat_uid}/messages": {
            "get": _op(
                "Messages, newest first.",
                (200, _list_of("Message")),
                params=CHAT_PATH,
                errors=(404, 422),
                query=[
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                    },
                    {"name": "starting_after", "in": "query", "schema": str_},
                ],
            ),
            "post": _op(
                "Send a message.",
                (201, _ref("Message")),
                params=CHAT_PATH,
                body=_obj(body=str_),
                errors=(404, 409, 422),
            ),
        },
        "/v1/chats/{chat_uid}/invitations/{participant_uid}/resend": {
            "post": _op(
                "Issue a fresh verification code for a pending member.",
                (200, _ref("Member")),
                params=("chat_uid", "participant_uid"),
                errors=(404, 409),
            )
        },
        "/v1/ws/ticket": {
            "post": _op(
                "Mint a single-use WebSocket ticket for one chat (`chat_id`) or all chats (`{}`).",
                (200, _obj(object={"const": "ws_ticket"}, ticket=str_, expires_at=str_)),
                body=_obj(chat_id=str_),
                errors=(404, 422),
            )
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Plow Chat API (plow-tui sandbox)", "version": "0.1.0"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
