from django import template
from django.urls import reverse

register = template.Library()


@register.filter
def measure_url(public_id: str) -> str:
    """`beijing-2025/12` → its page; `beijing-2025/12#startup` → that target on the page."""
    measure_id, _, target_key = public_id.partition("#")
    slug, _, number = measure_id.rpartition("/")
    url = reverse("measures:measure", args=[slug, int(number)])
    return f"{url}#target-{target_key}" if target_key else url
