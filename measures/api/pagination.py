from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

from measures.paging import COUNT_LIMIT, CappedPaginator

LARGEST_PAGE = 1000  # with cursors; numbered pages stop at PagePagination.max_page_size


class CursorExport(CursorPagination):
    """Stable cursors for walking a large result set to its end."""

    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = LARGEST_PAGE


class ChangeCursor(CursorPagination):
    """The change log, newest first, by cursor: a log grows at its head, so numbered pages
    would shift while a client walks them; a cursor resumes where it stopped."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = LARGEST_PAGE

    def paginate_queryset(self, queryset, request, view=None):
        # Refused rather than silently replaced by the default, as the other lists do.
        query = request.query_params
        for name in (self.page_size_query_param, self.cursor_query_param):
            if len(query.getlist(name)) > 1:
                raise ValidationError({name: "Give this parameter once."})
        size = query.get(self.page_size_query_param)
        if size is not None and not (size.isdecimal() and 0 < int(size) <= LARGEST_PAGE):
            raise ValidationError(
                {self.page_size_query_param: f"A whole number from 1 to {LARGEST_PAGE}."}
            )
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        envelope = super().get_paginated_response_schema(schema)
        descriptions = {
            "next": "The next (older) changes' address; null after the oldest.",
            "previous": "The previous (newer) changes' address; null on the newest.",
            "results": "The changes of this page, newest first.",
        }
        for name, description in descriptions.items():
            envelope["properties"][name]["description"] = description
        return envelope

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": LARGEST_PAGE}
                parameter["description"] = f"Changes per page, up to {LARGEST_PAGE}."
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = "The cursor from a previous page's `next` link."
        return parameters


class PagePagination(PageNumberPagination):
    """`?page=2&page_size=100` with a `count` (the default), or `?paginate=cursor` for
    cursors that stay stable while the data changes (large exports). The count is exact up to
    COUNT_LIMIT matches; past it `count_exact` is false and pages stop at the limit (see
    measures/paging.py)."""

    django_paginator_class = CappedPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    cursor: CursorExport | None = None

    def check_parameters(self, request) -> None:
        """Refuse paging parameters that make no sense, rather than silently ignore them: each
        at most once, `page` a whole number from 1 (checked, then ignored, with cursors),
        `page_size` from 1 to the cursor's maximum (pages hold at most `max_page_size`)."""
        query = request.query_params
        for name in (self.page_query_param, self.page_size_query_param, "paginate", "cursor"):
            if len(query.getlist(name)) > 1:
                raise ValidationError({name: "Give this parameter once."})
        if query.get("paginate") not in (None, "cursor"):
            raise ValidationError({"paginate": "The only value is `cursor`."})
        page = query.get(self.page_query_param)
        if page is not None and not (page.isdecimal() and int(page) > 0):
            raise ValidationError({self.page_query_param: "A whole number from 1."})
        size = query.get(self.page_size_query_param)
        if size is not None and not (size.isdecimal() and 0 < int(size) <= LARGEST_PAGE):
            raise ValidationError(
                {self.page_size_query_param: f"A whole number from 1 to {LARGEST_PAGE}."}
            )

    def paginate_queryset(self, queryset, request, view=None):
        self.check_parameters(request)
        self.cursor = None
        if request.query_params.get("paginate") == "cursor":
            self.cursor = CursorExport()
            self.cursor.ordering = getattr(view, "cursor_ordering", "pk")
            return self.cursor.paginate_queryset(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self.cursor is not None:
            return self.cursor.get_paginated_response(data)
        response = super().get_paginated_response(data)
        if self.page is None or not isinstance(self.page.paginator, CappedPaginator):
            raise RuntimeError("no page of a CappedPaginator to describe")
        body = {"count": response.data["count"], "count_exact": self.page.paginator.count_exact}
        return Response(body | {k: v for k, v in response.data.items() if k != "count"})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        envelope = super().get_paginated_response_schema(schema)
        envelope["properties"] = {
            "count": envelope["properties"]["count"],
            "count_exact": {"type": "boolean"},
            **{k: v for k, v in envelope["properties"].items() if k != "count"},
        }
        descriptions = {
            "count": (
                f"How many records match, across all pages, up to {COUNT_LIMIT:,} "
                "(page-number pagination only)."
            ),
            "count_exact": (
                f"false when more than {COUNT_LIMIT:,} records match: `count` is then a floor "
                "and pages stop there; use `paginate=cursor` to walk further."
            ),
            "next": "The next page's address; null on the last page.",
            "previous": "The previous page's address; null on the first page.",
            "results": "The records of this page.",
        }
        for name, description in descriptions.items():
            envelope["properties"][name]["description"] = description
        envelope["required"] = ["results"]  # cursor pages carry no count
        return envelope

    def get_schema_operation_parameters(self, view):
        numbered = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": LARGEST_PAGE},
        }
        for parameter in numbered:
            parameter["schema"] |= bounds.get(parameter["name"], {})
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Records per page: up to {self.max_page_size} with page numbers (more "
                    f"is cut to {self.max_page_size}), up to {LARGEST_PAGE} with cursors."
                )
        return [
            *numbered,
            {
                "name": "paginate",
                "required": False,
                "in": "query",
                "description": "`cursor` for cursor pagination (then follow `next`), for exports.",
                "schema": {"type": "string", "enum": ["cursor"]},
            },
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "The cursor from a previous page's `next` link.",
                "schema": {"type": "string"},
            },
        ]
