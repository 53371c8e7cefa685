"""The REST API (/api/v1/)."""

from dataclasses import asdict

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .quality import data_quality


class DataQualityView(APIView):
    """Coverage and certainty of the data per document: grades, missing fields, link gaps."""

    def get(self, request: Request) -> Response:
        return Response([asdict(report) for report in data_quality()])
