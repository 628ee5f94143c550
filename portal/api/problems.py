"""Errors of the API as RFC 9457 problem documents, in the caller's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Response, current_app, json, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from portal.words import N_

T = TypeVar("T")

API_PREFIX = "/api/"
PROBLEM_TYPES = "/api/v1/docs#problems"
MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: N_("请求格式不正确"),
    401: N_("需要有效的访问令牌"),
    403: N_("该客户端无权进行此操作"),
    404: N_("资源不存在"),
    405: N_("该地址不支持此方法"),
    409: N_("与资源当前状态冲突"),
    413: N_("请求内容过大"),
    415: N_("请求内容类型不受支持"),
    422: N_("请求内容未通过校验"),
    428: N_("缺少 Idempotency-Key 请求头"),
    429: N_("调用过于频繁，请稍后再试"),
    500: N_("服务器内部错误"),
    503: N_("服务暂时不可用，请稍后再试"),
}


class ApiProblem(HTTPException):
    """A refusal a view raises with its own detail (and field errors, for 422)."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        slug: str | None = None,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description=detail)
        self.code = status
        self.slug = slug
        self.errors = errors
        self.extra_headers = headers or {}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def problem(
    status: int,
    detail: str | None = None,
    *,
    slug: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem document with the status's title in the caller's language."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPES}-{slug or status}",
        "title": gettext(TITLES.get(status, TITLES[500])),
        "status": status,
        "instance": request.path,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE
    )
    response.headers.update(headers or {})
    return response


def from_exception(error: HTTPException) -> Response:
    """Any HTTP error raised while serving the API, as a problem document."""
    status = error.code or 500
    if isinstance(error, ApiProblem):
        return problem(
            status,
            error.description,
            slug=error.slug,
            errors=error.errors,
            headers=error.extra_headers,
        )
    # webargs puts the field errors of a refused body or query string under data["messages"].
    messages = (getattr(error, "data", None) or {}).get("messages")
    headers = dict(error.get_headers()) if status in (401, 405, 429) else {}
    headers.pop("Content-Type", None)
    return problem(status, None, errors=_flatten(messages) if messages else None, headers=headers)


def _flatten(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs groups errors by location ({"json": {...}}); callers read the fields."""
    flat: dict[str, Any] = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            flat.update(location_errors)
    return flat or messages


def run_service(
    operation: Callable[..., T],
    *args: Any,
    refusals: type[Exception] | tuple[type[Exception], ...],
    state_slug: str,
    fields_slug: str,
    fields: Mapping[str, str] | None = None,
    fields_detail: str | None = None,
) -> T:
    """Run a service for an endpoint: a refusal naming fields (`error.problems`, keyed by the
    pages' form fields, renamed by `fields` to the API's) is a 422, any other refusal of the
    service (the object's state, a limit) a 409."""
    try:
        return operation(*args)
    except refusals as error:
        problems = getattr(error, "problems", None)
        if problems:
            renames = fields or {}
            errors = {renames.get(name, name): text for name, text in problems.items()}
            detail = fields_detail or str(error) or None
            raise ApiProblem(422, detail, slug=fields_slug, errors=errors) from None
        raise ApiProblem(409, str(error), slug=state_slug) from None
