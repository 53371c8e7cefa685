"""How the API describes itself: the generated OpenAPI schema, completed where generation
cannot know (open reads, the errors every operation can return, the format parameter)."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import SAFE_METHODS

from measures.filters import AS_OF_SCHEMA, MEASURE_ID_PATTERN, PART_PATTERN

ERROR = {"$ref": "#/components/schemas/Error"}
ERRORS = {
    "400": "A filter, page, body field or id is invalid; the body names each field and problem.",
    "401": "Credentials are missing (for a write) or invalid.",
    "403": "Signed in, but not an editor.",
    "404": "No such record or page.",
    "405": "The method is not allowed here.",
    "406": "No representation in the requested format.",
    "409": "The request conflicts with the records as they stand (a second observation on one "
    "day, a milestone key taken, a rule of the record's kind); the body names each field.",
    "412": "The record changed since its ETag was read.",
    "415": "The body's content type is not supported (send JSON).",
    "428": "An update needs the ETag you read as If-Match.",
    "429": "Too many anonymous requests; retry after `Retry-After` seconds.",
}
WRITE_ONLY = {"403", "409", "415"}
# Single-choice filters an HTML form may send empty, which means "any" (as the pages read them).
BLANK_MEANS_ANY = {"in_force", "has_target", "unit", "kind", "sort"}
# Query parameters whose values the server checks beyond their type (measures/filters.py).
PARAMETER_SCHEMAS: dict[str, dict[str, Any]] = {
    "as_of": AS_OF_SCHEMA,
    "measure": {"type": "string", "pattern": f"{MEASURE_ID_PATTERN}|^$"},  # empty: any
    # The change log's `since`: a time, a day (from its start, in Shanghai) or empty (any), as
    # the /changes/ page's date box sends it.
    "since": {
        "anyOf": [
            {"type": "string", "format": "date-time"},
            {"type": "string", "format": "date"},
            {"type": "string", "maxLength": 0},
        ]
    },
}
ITEM_SCHEMAS = {"section": {"type": "string", "pattern": PART_PATTERN}}
# A link editors give, as Django's URLValidator takes it: http(s) or ftp(s), a DNS host with a
# top-level domain (the format `uri` alone allows `measures:agency`).
LABEL = "[a-zA-Z0-9\u00a1-\uffff](?:[a-zA-Z0-9\u00a1-\uffff-]{0,61}[a-zA-Z0-9\u00a1-\uffff])?"
URL_HOST_AND_PATH = (
    f"(?:{LABEL}\\.)+[a-zA-Z\u00a1-\uffff]{{2,63}}\\.?(?::[0-9]{{1,5}})?(?:[/?#]\\S*)?$"
)
URL_PATTERN = "^(?:[hH][tT][tT][pP][sS]?|[fF][tT][pP][sS]?)://" + URL_HOST_AND_PATH
# A URL field that takes fewer schemes says so with `x-schemes` (a webhook: http and https).
WEB_URL_PATTERN = "^[hH][tT][tT][pP][sS]?://" + URL_HOST_AND_PATH
# Grades that need their reason (`grade_note`), as the input serializers check.
GRADES_WITHOUT_REASON = ["official", "secondary"]


class DescribedSchema(AutoSchema):
    def get_auth(self):
        # Reading is open to everyone: a read needs no credentials (`security: [{}]`, which
        # Swagger UI shows without a lock). Listing the schemes beside `{}` would show a lock
        # on every read, as if the reader had to sign in.
        if self.method in SAFE_METHODS:
            return [{}]
        return super().get_auth()

    def _get_format_parameters(self):
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            parameter["description"] = (
                "json (the default), csv or xlsx (Excel); `Accept: text/csv` works too."
            )
            parameter["schema"]["enum"] = ["", *parameter["schema"].get("enum", [])]
        return parameters


def add_error_responses(result, generator, request, public):
    """Every operation documents the errors it can answer with, all as a JSON `Error`."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = {
        "type": "object",
        "description": "`detail` for a general problem, or one key per invalid field with "
        "its messages.",
        "additionalProperties": True,
    }
    for operations in result["paths"].values():
        for method, operation in operations.items():
            write = method.upper() not in SAFE_METHODS
            for status, description in ERRORS.items():
                if (status in WRITE_ONLY and not write) or (
                    status in {"412", "428"} and method != "patch"
                ):
                    continue
                operation["responses"].setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": ERROR}},
                    },
                )
    return result


# Some character that is not white space, in the sense of Python's str.isspace.
NOT_BLANK = r"\S"


def _is_plain_text(field: dict) -> bool:
    return field.get("type") == "string" and not {"enum", "format", "pattern"} & set(field)


def state_what_the_server_accepts(result, generator, request, public):
    """What generation cannot know of the server's rules: a blank single-choice filter is no
    filter; a grade that needs a reason is sent with one (a new record: given and not empty;
    a change: not sent empty, else the record's own reason stands)."""
    for operations in result["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                name, schema = parameter["name"], parameter["schema"]
                choices = schema.get("items", schema)  # `sort` is a list: `sort=` is none
                if name in BLANK_MEANS_ANY and "" not in choices.get("enum", [""]):
                    choices["enum"] = ["", *choices["enum"]]
                if name in PARAMETER_SCHEMAS:
                    parameter["schema"] = dict(PARAMETER_SCHEMAS[name])
                items = schema.get("items", {})
                if name in ITEM_SCHEMAS:
                    schema["items"] = dict(ITEM_SCHEMAS[name])
                elif items.get("type") == "string" and "enum" not in items:
                    items["minLength"] = 1  # a code or slug named: never an empty one
    for name, component in result["components"]["schemas"].items():
        properties = component.get("properties", {})
        if not name.endswith("Request"):
            for field in properties.values():
                field.pop("x-schemes", None)  # said by the pattern, in requests only
            continue
        for field in properties.values():
            for variant in [field, *field.get("oneOf", [])]:  # oneOf: a link or blank
                if variant.get("format") == "uri":
                    web = variant.pop("x-schemes", None) == ["http", "https"]
                    variant["pattern"] = WEB_URL_PATTERN if web else URL_PATTERN
                elif _is_plain_text(variant) and variant.get("minLength", 0) >= 1:
                    # Text is trimmed before it is checked: one that is all white space
                    # (U+001D included, as str.strip has it) is blank.
                    variant["pattern"] = NOT_BLANK
        if not {"grade", "grade_note"} <= set(properties):
            continue
        note = {"type": "string", "minLength": 1, "pattern": NOT_BLANK}
        reason: dict = {"properties": {"grade_note": note}}
        if not name.startswith("Patched"):
            reason["required"] = ["grade_note"]
        component["anyOf"] = [
            {"properties": {"grade": {"type": "string", "enum": GRADES_WITHOUT_REASON}}},
            reason,
        ]
    return result
