from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class AnonymousThrottle(AnonRateThrottle):
    """Anonymous requests per client address; the rate comes from API_ANONYMOUS_RATE."""

    def get_rate(self) -> str:
        return settings.API_ANONYMOUS_RATE
