"""How the API describes itself: the generated OpenAPI schema, completed where generation
cannot know (open reads, the errors every operation can return, the format parameter)."""

from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import SAFE_METHODS

ERROR = {"$ref": "#/components/schemas/Error"}
ERRORS = {
    "400": "A filter, page, body field or id is invalid; the body names each field and problem.",
    "401": "Credentials are missing (for a write) or invalid.",
    "403": "Signed in, but not an editor.",
    "404": "No such record or page.",
    "405": "The method is not allowed here.",
    "406": "No representation in the requested format.",
    "412": "The record changed since its ETag was read.",
    "415": "The body's content type is not supported (send JSON).",
    "428": "An update needs the ETag you read as If-Match.",
    "429": "Too many anonymous requests; retry after `Retry-After` seconds.",
}
WRITE_ONLY = {"403", "415"}


class DescribedSchema(AutoSchema):
    def get_auth(self):
        # Reading is open to everyone: say that credentials are optional for safe methods.
        auths = super().get_auth()
        if self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths

    def _get_format_parameters(self):
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            parameter["description"] = "json (the default) or csv; `Accept: text/csv` works too."
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
