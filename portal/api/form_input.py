"""A request body checked by the pages' own form: the API refuses what the form refuses, with
the form's messages, named by the API's fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from werkzeug.datastructures import MultiDict
from wtforms import Form

from portal.api.problems import ApiProblem
from portal.firms.standards import yuan_to_wan

F = TypeVar("F", bound=Form)
# The product forms' amount range: the API's fields in yuan, the forms' in 万元.
AMOUNT_RANGE_IN_WAN = {"min_amount": "min_amount_wan", "max_amount": "max_amount_wan"}


def checked_form(
    form_class: type[F], body: dict[str, Any], wan_fields: dict[str, str], detail: str, slug: str
) -> F:
    """`form_class` filled from `body` and validated; its refusals are a 422 naming each field.

    The forms take amounts in 万元 and the API's fields are in yuan: `wan_fields` maps each
    API field in yuan to its form field in 万元."""
    data: MultiDict[str, Any] = MultiDict()
    for name, value in body.items():
        if name in wan_fields:
            name, value = wan_fields[name], yuan_to_wan(value)
        if isinstance(value, list):
            data.setlist(name, [str(item) for item in value])
        elif value is not None:
            data.add(name, format(value, "f") if isinstance(value, Decimal) else str(value))
    form = form_class(formdata=data, meta={"csrf": False})
    if not form.validate():
        api_names = {form_name: api for api, form_name in wan_fields.items()}
        errors = {
            api_names.get(name, name): " ".join(str(message) for message in messages)
            for name, messages in form.errors.items()
        }
        raise ApiProblem(422, detail, slug=slug, errors=errors)
    return form
