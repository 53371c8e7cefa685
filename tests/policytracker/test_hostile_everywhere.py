"""Hostile input, generated: every URL pattern of the project, every query parameter each page
or endpoint reads, each set to every hostile value; hostile path segments; hostile JSON bodies
to every write endpoint, as an editor and anonymously; the admin's lists and change pages.
Never a 5xx, and under /api/ every 4xx is JSON.

The URL patterns are walked from the resolver, so a new page or endpoint is covered (or, if its
path takes a value this module cannot fill, fails here until it is taught one). An endpoint's
query parameters are those its OpenAPI schema documents and those its view looks up while it
answers (recorded on QueryDict, twice: the second time with every name found the first time
given); a page's are the latter, checked against its filter form's declared fields. A failure
names the method, the address, the parameter and the value.

Kept quick (it runs twice in CI): the reference data is loaded once per test and each test
loops; the parameters read by one shared helper everywhere (pagination, format, as_of) get
every value on the first endpoint and the first page that read them and a few elsewhere; the
schema, generated afresh per request, and the admin (Django's code, mostly) get a few.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.core.signals import got_request_exception
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from measures.models import Agency, Document, Measure, Milestone, Target
from tests.factories import StaffUserFactory, editor_client

pytestmark = pytest.mark.django_db

# Query values as they stand in an address (already percent-encoded).
HOSTILE_VALUES = [
    "a%01%1F%7Fb",  # control characters (NUL is refused at the door: test_hostile_input.py)
    "%FF%ED%A0%80%C0%AF",  # invalid UTF-8: a stray byte, a lone surrogate, an overlong "/"
    "%C2%B2",  # ²: isdigit() but not int()
    "%E2%91%A0",  # ①: the same
    "%D9%A3%EF%BC%91",  # Arabic-Indic 3 and fullwidth 1: int() takes them as 31
    "9" * 400,
    "1e999",
    "-1",
    "0",
    "NaN",
    "inf",
    "",
    "%E4%B8%AD" * 1400,  # 4 kB of 中
    "[]",
    "2025-02-30",
    "0000-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59-23:59",
    "%27%22%3C%3E%25",  # '"<>%
]

# Path segments: only what a segment can hold ("/" would make another path).
HOSTILE_SEGMENTS = [
    "%01",
    "%FF",
    "%ED%A0%80",
    "%C2%B2",
    "%E2%91%A0",
    "9" * 400,
    "-1",
    "0",
    "x" * 4096,
    "%20",
]

# JSON values a body field may be given, as JSON text.
HOSTILE_JSON = [
    '"\\ud800"',
    '"a\\u0000b"',
    '"\\u0001"',
    '"' + "x" * 4096 + '"',
    "9" * 400,
    "1e999",
    "-1e999",
    "-1",
    "0.001",
    "null",
    "true",
    "[]",
    "{}",
    '["a", 1]',
    '{"a": {"b": []}}',
    '"2025-02-30"',
    '"0000-01-01"',
    '"9999-12-31"',
    '"NaN"',
    '"²"',
]

# Bodies no field-by-field body covers.
HOSTILE_BODIES = [
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 5000 + "1" + "}" * 5000,
    "",
    "null",
    "[]",
    '"text"',
    "{",
    '{"\\ud800": 1}',
    "\xff",
]


@dataclass
class Findings:
    """Each bad answer, named so a failure says what to send to see it again."""

    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def check(self, method: str, address: str, response, exception: list, note: str = "") -> None:
        self.requests += 1
        status = response.status_code
        where = f"{method} {address[:300]}{' ' + note if note else ''} → {status}"
        if status >= 500:
            cause = f" ({exception[-1]!r})" if exception else ""
            self.failures.append(where + cause)
        elif status == 429:
            self.failures.append(f"{where}: a rate limit answered, not the code under test")
        elif (
            status >= 400
            and address.startswith("/api/v1/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            self.failures.append(f"{where}: not JSON but {response.get('Content-Type')}")
        exception.clear()

    def assert_none(self) -> None:
        shown = "\n".join(self.failures[:60])
        assert not self.failures, f"{len(self.failures)} of {self.requests} failed:\n{shown}"


@pytest.fixture
def findings(settings) -> Iterator[tuple[Findings, list]]:
    """Collects failures; the exception behind each 500 is caught from Django's signal."""
    # Thousands of anonymous requests: no rate limit may stand between them and the code tested.
    settings.API_ANONYMOUS_RATE = settings.PAGE_RATE = "1000000/minute"
    raised: list = []

    def keep(sender, request=None, **kwargs) -> None:
        import sys

        raised.append(sys.exc_info()[1])

    got_request_exception.connect(keep, weak=False)
    yield Findings(), raised
    got_request_exception.disconnect(keep)


# -- the URL patterns, with real values for what their paths take ----------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, for reverse()
    kwargs: tuple[str, ...]


def routes(patterns=None, namespace: str = "") -> Iterator[Route]:
    """Every named URL pattern of the project, however deep."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            kwargs = tuple(entry.pattern.regex.groupindex)
            yield Route(f"{namespace}{entry.name}", kwargs)


def real_values() -> dict[str, dict[str, str]]:
    """For each URL name whose path takes values, real ones from the reference data."""
    measure = Measure.objects.select_related("document").order_by("pk").first()
    target = Target.objects.order_by("pk").first()
    first, second = Document.objects.order_by("pk").values_list("slug", flat=True)[:2]
    agency = Agency.objects.order_by("pk").values_list("slug", flat=True).first()
    milestone = Milestone.objects.order_by("pk").values_list("pk", flat=True).first()
    measure_id = {"document": measure.document.slug, "number": str(measure.number)}
    from alerts import links
    from alerts.models import Subscription
    from measures.models import EntityType, MeasureLink, ProductStage, SectionLink, Topic

    subscription, _new = Subscription.objects.subscribe(
        email="reader@example.org",
        kind="document",
        criteria=first,
        frequency="daily",
        language="en",
    )

    def signed(url: str) -> dict[str, str]:
        return {"signed": url.rstrip("/").rsplit("/", 1)[-1]}

    return {
        "measures:document": {"slug": first},
        "measures:document_feed": {"slug": first},
        "measures:measure_feed": measure_id,
        "measures:agency": {"slug": agency},
        "measures:measure": measure_id,
        "comparisons:compare": {"a": first, "b": second},
        "api:measure-detail": measure_id,
        "api:document-detail": {"slug": first},
        "api:agency-detail": {"slug": agency},
        "api:topic-detail": {"code": Topic.objects.values_list("code", flat=True).first()},
        "api:stage-detail": {"code": ProductStage.objects.values_list("code", flat=True).first()},
        "api:entity-type-detail": {
            "code": EntityType.objects.values_list("code", flat=True).first()
        },
        "api:target-detail": {"pk": str(target.pk)},
        "api:target-observations": {"pk": str(target.pk)},
        "api:target-snapshots": {"pk": str(target.pk)},
        "api:milestone-detail": {"pk": str(milestone)},
        # A suggestion, which editors may review (a curated link is the data files' to change).
        "api:link-detail": {"pk": str(MeasureLink.objects.order_by("-status")[0].pk)},
        "api:section-link-detail": {"pk": str(SectionLink.objects.values_list("pk", flat=True)[0])},
        # Someone's webhook endpoint: its owner's alone, so a 401 or 404 to anyone else.
        "api:webhook-detail": {"pk": str(webhook_endpoint().pk)},
        "alerts:confirm": signed(links.confirm_url(subscription)),
        "alerts:manage": signed(links.manage_url(subscription)),
        "alerts:unsubscribe": signed(links.unsubscribe_url(subscription)),
    }


def webhook_endpoint():
    from webhooks.models import Endpoint

    owner = StaffUserFactory(is_superuser=False)
    return Endpoint.objects.get_or_create(owner=owner, url="https://hooks.example.org/in")[0]


def addresses() -> dict[str, tuple[str, dict[str, str]]]:
    """URL name → (address with real values, the values), for every page and endpoint that
    anyone may GET (the admin is covered by its own test below)."""
    known = real_values()
    found = {}
    for route in routes():
        if route.name.startswith("admin:"):
            continue
        values = dict(known.get(route.name, {}))
        if "format" in route.kwargs:  # DRF's suffix patterns (.json): the plain one is enough
            continue
        missing = set(route.kwargs) - set(values)
        assert not missing, f"{route.name} takes {missing}: give this module a real value"
        found[route.name] = (reverse(route.name, kwargs=values or None), values)
    return found


# -- the parameters each page reads -------------------------------------------------------------


@contextmanager
def parameters_read() -> Iterator[set[str]]:
    """The names of the query parameters looked up while the block runs."""
    names: set[str] = set()
    originals = {
        method: getattr(QueryDict, method)
        for method in ("get", "getlist", "__getitem__", "__contains__")
    }

    def recording(method):
        def wrapper(self, key, *args, **kwargs):
            names.add(key)
            return originals[method](self, key, *args, **kwargs)

        return wrapper

    for method in originals:
        setattr(QueryDict, method, recording(method))
    try:
        yield names
    finally:
        for method, original in originals.items():
            setattr(QueryDict, method, original)


def schema_parameters(client: Client) -> dict[str, set[str]]:
    """Path template → the query parameters the API's schema documents for its GET."""
    schema = client.get("/api/schema/?format=json").json()
    return {
        path: {item["name"] for item in ops["get"].get("parameters", []) if item["in"] == "query"}
        for path, ops in schema["paths"].items()
        if "get" in ops
    }


# A page whose other parameters are read only once these are given (the finder's profile, the
# comparison picker): each hostile parameter is sent alongside them.
def base_queries() -> dict[str, dict[str, str]]:
    first, second = Document.objects.order_by("pk").values_list("slug", flat=True)[:2]
    return {
        "finder:applicability": {"entity_type": "innovative_drug_firm", "location": "beijing"},
        "comparisons:picker": {"a": first, "b": second},
        "api:compare": {"a": first, "b": second},
    }


def declared_parameters() -> dict[str, set[str]]:
    """What the pages' filter forms declare: the recorded parameters must include them, or the
    recording missed some (a field read only when another is given)."""
    from comparisons.forms import CompareForm
    from finder.forms import ProfileForm
    from measures.filters import MeasureFilter

    return {
        "measures:measure_list": set(MeasureFilter.base_filters),
        "finder:applicability": set(ProfileForm.base_fields),
        "comparisons:picker": set(CompareForm.base_fields),
    }


# Read by the same helper everywhere (pagination, content negotiation, the day a page shows):
# every value where one is first read (by an endpoint, by a page), a few elsewhere, which
# keeps the module quick.
SHARED_PARAMETERS = {"format", "cursor", "page", "page_size", "paginate", "as_of"}
FEW_VALUES = ["%FF%ED%A0%80", "%C2%B2", "9" * 400, "2025-02-30", "0000-01-01", "9999-12-31"]


def parameters_of(
    client: Client, name: str, address: str, base: dict[str, str], documented: set[str]
) -> set[str]:
    """The query parameters a page or endpoint reads: looked up while it answers (twice, the
    second time with every name found the first time given), and those the schema documents."""
    names: set[str] = set(documented)
    for _round in range(2):
        given = {**dict.fromkeys(names, "x"), **base}
        with parameters_read() as read:
            client.get(address, given)
        names |= read
    return names


def query(base: dict[str, str], name: str, raw: str) -> str:
    """A query string with `name` set to the raw (percent-encoded) value, the rest as given."""
    parts = [f"{quote(key)}={quote(value)}" for key, value in base.items() if key != name]
    return "&".join([*parts, f"{name}={raw}"])


def test_every_query_parameter_of_every_page_and_endpoint_takes_hostile_values(
    reference_data, findings
):
    found, raised = findings
    client = Client(raise_request_exception=False)
    documented = schema_parameters(client)
    declared = declared_parameters()
    bases = base_queries()
    shared_done: set[tuple[bool, str]] = set()
    for name, (address, _values) in sorted(addresses().items()):
        base = bases.get(name, {})
        template = _schema_template(address, documented)
        names = parameters_of(client, name, address, base, documented.get(template, set()))
        assert declared.get(name, set()) <= names, (name, declared[name] - names)
        if name in {"schema", "api-docs"}:  # generated afresh each time (0.3 s): a few will do
            names = {"format", "lang"}
        for parameter in sorted(names):
            seen = (address.startswith("/api/"), parameter)
            values = HOSTILE_VALUES
            if name in {"schema", "api-docs"} or seen in shared_done:
                values = FEW_VALUES
            if parameter in SHARED_PARAMETERS:
                shared_done.add(seen)
            for raw in values:
                full = f"{address}?{query(base, quote(parameter), raw)}"
                found.check("GET", full, client.get(full), raised)
            # The same parameter twice, a hostile value beside a plain one.
            full = f"{address}?{query(base, parameter, '1')}&{quote(parameter)}=%FF"
            found.check("GET", full, client.get(full), raised)
        # A hostile parameter name.
        for raw_name in ("%FF", "%C2%B2", "x" * 4096):
            full = f"{address}?{query(base, raw_name, '1')}"
            found.check("GET", full, client.get(full), raised)
    found.assert_none()
    assert found.requests > 1500  # every page and endpoint with each of its parameters


def _schema_template(address: str, documented: dict[str, set[str]]) -> str:
    """The schema's path template (/api/v1/targets/{id}/) an address is an instance of."""
    parts = address.strip("/").split("/")
    for template in documented:
        pattern = template.strip("/").split("/")
        if len(pattern) == len(parts) and all(
            p == a or (p.startswith("{") and p.endswith("}"))
            for p, a in zip(pattern, parts, strict=True)
        ):
            return template
    return address


def test_every_path_value_of_every_page_and_endpoint_takes_hostile_segments(
    reference_data, findings
):
    found, raised = findings
    client = Client(raise_request_exception=False)
    for name, (address, values) in sorted(addresses().items()):
        for key, value in values.items():
            for raw in HOSTILE_SEGMENTS:
                # Replace the segment holding this value (values are distinct segments).
                segments = address.split("/")
                hostile = "/".join(raw if segment == value else segment for segment in segments)
                found.check("GET", hostile, client.get(hostile), raised, f"({name}: {key})")
    found.assert_none()
    assert found.requests > 150


# -- bodies -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    method: str
    template: str  # the schema's path, /api/v1/targets/{id}/observations/
    base: dict  # a plausible body, from the schema: each hostile field replaces one of its values
    anyone: bool  # anonymous clients may send it (the finder)


def write_operations(client: Client, measure_id: str) -> list[Write]:
    """Every write the schema documents."""
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    found = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if method not in {"post", "put", "patch"}:
                continue
            content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            body = _resolve(content.get("schema", {}), components)
            base = {
                name: _plausible(name, _resolve(prop, components), components, measure_id)
                for name, prop in body.get("properties", {}).items()
            }
            found.append(Write(method, path, base, {} in op.get("security", [])))
    return found


def _resolve(node: dict, components: dict) -> dict:
    while "$ref" in node:
        node = components[node["$ref"].rsplit("/", 1)[-1]]
    for combined in ("allOf", "oneOf", "anyOf"):
        if combined in node:
            # The first alternative narrows (the grade's anyOf): the node's own fields stay.
            first = _resolve(node[combined][0], components)
            fields = {**first.get("properties", {}), **node.get("properties", {})}
            return {**node, **first, "properties": fields}
    return node


def _plausible(name: str, prop: dict, components: dict, measure_id: str):
    """A value the schema would take, so the other fields of a body pass."""
    if name == "measure":
        return measure_id
    if name == "as_of":  # documented as a plain string, read as a date
        return "2024-12-31"
    if "enum" in prop:
        return next((value for value in prop["enum"] if value), prop["enum"][0])
    kind, form = prop.get("type"), prop.get("format")
    if kind == "string":
        return {"date": "2024-12-31", "decimal": "1.00", "uri": "https://example.org/evidence"}.get(
            form, "hostile-input-check"
        )
    return {"integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}.get(kind)


def _address(template: str, addresses: dict[str, tuple[str, dict]]) -> str:
    """A real address (the first records) answering a schema path template."""
    for address, _values in addresses.values():
        if _schema_template(address, {template: set()}) == template:
            return address
    raise AssertionError(f"no URL pattern answers {template}")


def _bodies(base: dict, values: list[str]) -> Iterator[str]:
    """The base with one field at a time given each hostile value, then whole hostile bodies."""
    for name in sorted(base):
        for value in values:
            rest = json.dumps({key: item for key, item in base.items() if key != name})
            yield f'{{"{name}": {value}{", " + rest[1:] if len(rest) > 2 else "}"}'
    yield from HOSTILE_BODIES


def test_every_write_endpoint_takes_hostile_json_as_an_editor_and_anonymously(
    reference_data, findings
):
    found, raised = findings
    anonymous = Client(raise_request_exception=False)
    editor = editor_client()
    editor.raise_request_exception = False
    known = addresses()
    measure = Measure.objects.select_related("document").order_by("pk").first()
    writes = write_operations(anonymous, f"{measure.document.slug}/{measure.number}")
    assert len(writes) >= 5, writes
    for write in writes:
        address = _address(write.template, known)
        tag = editor.get(address).get("ETag", "")
        for who, client in (("editor", editor), ("anonymous", anonymous)):
            # Signed out, a write is refused before its body is read: whole hostile bodies
            # and one hostile value a field will do.
            bodies = _bodies(write.base, HOSTILE_JSON if who == "editor" else HOSTILE_JSON[:1])
            for text in bodies:
                headers = {"HTTP_IF_MATCH": tag} if write.method != "post" else {}
                send = getattr(client, write.method)
                body = text.encode("utf-8", "surrogatepass")
                response = send(address, body, content_type="application/json", **headers)
                method = write.method.upper()
                found.check(method, address, response, raised, f"as {who}: {text[:100]!r}")
                if who == "anonymous" and not write.anyone:
                    assert response.status_code in (401, 403), (method, address, text[:100])
                if who == "editor" and response.status_code < 300 and write.method != "post":
                    tag = editor.get(address).get("ETag", "")  # the write changed it
    found.assert_none()
    assert found.requests > 1000


# -- the admin ----------------------------------------------------------------------------------

# Django's own admin code reads most of these: a few values, to catch what this project adds.
ADMIN_VALUES = ["%FF%ED%A0%80", "9" * 400]
ADMIN_IDS = ["%FF", "%C2%B2", "9" * 400]


def test_the_admin_takes_hostile_values(reference_data, findings, client):
    """Each model's list with every parameter it reads, and its change page with hostile ids,
    as staff; signed out, the same addresses only lead to the login page."""
    from django.contrib import admin

    found, raised = findings
    client.raise_request_exception = False
    staff = Client(raise_request_exception=False)
    staff.force_login(StaffUserFactory())
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        changelist = reverse(f"{prefix}_changelist")
        with parameters_read() as read:
            staff.get(changelist)
        for parameter in sorted(read | {"q", "o", "p"}):
            for raw in ADMIN_VALUES:
                address = f"{changelist}?{quote(parameter)}={raw}"
                found.check("GET", address, staff.get(address), raised, "as staff")
        for raw in ADMIN_IDS:
            address = reverse(f"{prefix}_change", args=["ID"]).replace("/ID/", f"/{raw}/")
            found.check("GET", address, staff.get(address), raised, "as staff")
        address = f"{changelist}?q=%FF&o=%C2%B2"
        response = client.get(address)
        found.check("GET", address, response, raised, "signed out")
        assert response.status_code == 302, address
    found.assert_none()
    assert found.requests > 500
