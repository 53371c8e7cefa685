from rest_framework.permissions import SAFE_METHODS, IsAuthenticatedOrReadOnly

EDITORS = "editors"


def is_editor(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and (user.is_superuser or user.groups.filter(name=EDITORS).exists())
    )


class EditorsMayWrite(IsAuthenticatedOrReadOnly):
    """Anyone may read; only members of the `editors` group (or superusers) may write.
    Anonymous writers get 401 (with a token challenge), signed-in non-editors 403.
    (A kind of IsAuthenticatedOrReadOnly, so the schema shows reads need no credentials.)"""

    message = "Only editors may change data."

    def has_permission(self, request, view) -> bool:
        method = request.method.lower()
        if not hasattr(view, method) or method not in view.http_method_names:
            return True  # not offered here at all: let dispatch answer 405
        return request.method in SAFE_METHODS or is_editor(request.user)
