"""What readers call the kinds of target change, on the comparison page and in its export."""

from django.utils.translation import gettext_lazy as _

CHANGE_LABELS = {
    "tighter": _("tighter"),
    "looser": _("looser"),
    "unchanged": _("unchanged"),
    "redefined": _("target redefined"),
    "new": _("new target"),
    "dropped": _("target dropped"),
    "completed": _("target met, completed"),
}
