"""The pages of e-mail alerts: subscribing, and those reached from the signed links of e-mails
(confirm, manage, unsubscribe). No account: the signed link is the proof of the address."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from jobs.outbox import queue_after_commit

from . import links, tasks
from .criteria import Followed, followed
from .forms import ChangeForm, SubscribeForm, UnsubscribeOneForm
from .models import Language, Subscription


def _page_language() -> str:
    language = translation.get_language() or ""
    return language if language in Language.values else Language.ZH_HANS


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """The form posted from a page (or shown here for a query's kind and criteria); a valid one
    stores the subscription unconfirmed and e-mails the confirmation link."""
    if request.method == "GET":
        form = SubscribeForm(initial={**request.GET.dict(), "language": _page_language()})
        return render(request, "alerts/subscribe.html", {"form": form})
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "alerts/subscribe.html", {"form": form}, status=400)
    subscription, send = Subscription.objects.subscribe(**form.cleaned_data)
    if send:
        queue_after_commit(tasks.send_confirmation, subscription.pk)
    context = {"email": subscription.email, "days": settings.ALERTS_CONFIRM_DAYS}
    return render(request, "alerts/check_inbox.html", context)


def bad_link(request: HttpRequest, error: links.BadLink) -> HttpResponse:
    """A forged or mangled link is a 400; an expired confirmation is gone (410)."""
    expired = isinstance(error, links.ExpiredLink)
    return render(
        request,
        "alerts/bad_link.html",
        {"expired": expired, "days": settings.ALERTS_CONFIRM_DAYS},
        status=410 if expired else 400,
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, signed: str) -> HttpResponse:
    """The link of the confirmation e-mail shows a button; pressing it (POST) confirms. Mail
    scanners open every link of a message: a GET alone must not subscribe anyone. A second
    confirmation changes nothing."""
    try:
        subscription = links.confirming(signed)
    except links.BadLink as error:
        return bad_link(request, error)
    if subscription.unsubscribed_at:
        return render(request, "alerts/ended.html", _about(subscription), status=410)
    if request.method == "POST":
        subscription.confirm()
    elif not subscription.confirmed_at:
        return render(request, "alerts/confirm.html", _about(subscription))
    return render(request, "alerts/confirmed.html", _about(subscription))


def _about(subscription: Subscription, what: Followed | None = None) -> dict:
    what = what or followed([subscription])[0]
    return {
        "subscription": subscription,
        "about": what.name,
        "page_url": what.path,
        "manage_url": links.manage_url(subscription),
    }


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, signed: str) -> HttpResponse:
    """Every subscription of the link's address: change how often and in which language, end
    one or all."""
    try:
        subscription = links.managing(signed)
    except links.BadLink as error:
        return bad_link(request, error)
    subscriptions = Subscription.objects.of_address(subscription.email).order_by("pk")
    form: ChangeForm | UnsubscribeOneForm | None = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "unsubscribe_all":
            subscriptions.filter(unsubscribed_at__isnull=True).update(
                unsubscribed_at=timezone.now()
            )
            messages.success(request, _("You are unsubscribed from every alert."))
            return HttpResponseRedirect(request.path, status=303)
        if action == "unsubscribe":
            form = UnsubscribeOneForm(request.POST, subscriptions=subscriptions)
            if form.is_valid():
                form.cleaned_data["subscription"].unsubscribe()
                messages.success(request, _("You are unsubscribed from this alert."))
                return HttpResponseRedirect(request.path, status=303)
        else:
            form = ChangeForm(request.POST, subscriptions=subscriptions)
            if form.is_valid():
                changed: Subscription = form.cleaned_data["subscription"]
                changed.frequency = form.cleaned_data["frequency"]
                changed.language = form.cleaned_data["language"]
                changed.save(update_fields=["frequency", "language"])
                messages.success(request, _("Your alert is saved."))
                return HttpResponseRedirect(request.path, status=303)
    rows = [
        {
            **_about(each, what),
            "form": form
            if form is not None and form.data.get("subscription") == str(each.pk)
            else ChangeForm(
                initial={
                    "subscription": each.pk,
                    "frequency": each.frequency,
                    "language": each.language,
                },
                subscriptions=subscriptions,
            ),
        }
        for each, what in zip(subscriptions, followed(subscriptions), strict=True)
    ]
    context = {"email": subscription.email, "rows": rows, "form": form}
    return render(request, "alerts/manage.html", context, status=400 if form else 200)


@csrf_exempt  # RFC 8058: a mail client POSTs here with no page, cookie or token of ours.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    """GET asks (mail scanners follow links: a GET must change nothing); POST unsubscribes,
    from the page's button or from a mail client's one-click request."""
    try:
        subscription = links.unsubscribing(signed)
    except links.BadLink as error:
        return bad_link(request, error)
    if request.method == "POST":
        subscription.unsubscribe()
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(_("You are unsubscribed."), content_type="text/plain")
        return render(request, "alerts/unsubscribed.html", _about(subscription))
    return render(request, "alerts/unsubscribe.html", _about(subscription))
