"""The Content-Security-Policy of every page (django-csp), with two named exceptions.

The site's own pages (dashboard, sign-in, e-mails' landing pages) run no inline script and no
inline style: `script-src 'self'`, `style-src 'self'`. Two third-party UIs cannot live with that,
and get the least they need, on their paths only:

- the ops admin (Unfold) evaluates its Alpine.js attributes with `new Function`
  (`'unsafe-eval'`) and sets style attributes in its templates (`'unsafe-inline'` for styles);
  inline *script* stays forbidden there too.
- the API docs (Swagger UI and Redoc) inject <style> elements: `'unsafe-inline'` for styles.
"""

from __future__ import annotations

from dataclasses import asdict

from csp.constants import HEADER, HEADER_REPORT_ONLY, UNSAFE_EVAL, UNSAFE_INLINE
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

_RELAXED: dict[str, dict[str, list[str]]] = {
    "/admin/": {"script-src": [UNSAFE_EVAL], "style-src": [UNSAFE_INLINE]},
    "/api/v1/docs/": {"style-src": [UNSAFE_INLINE]},
    "/api/v1/redoc/": {"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]},
}


class SitePolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        for prefix, extra in _RELAXED.items():
            if request.path_info.startswith(prefix):
                update = dict(parts.update or {})
                for directive, sources in extra.items():
                    update[directive] = [*update.get(directive, []), *sources]
                parts.update = update
                break
        return parts

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """django-csp's, with the policies built once per path kind instead of twice a response
        (`dataclasses.asdict` and `build_policy`: ~7% of an API deduction's profiled worker time,
        docs/benchmarks.md "A leaner API deduction"). Only when
        nothing varies per response: no nonce was asked for and no view decorator changed the
        policy; otherwise django-csp builds it as always."""
        if getattr(request, "_csp_nonce", None) is not None or any(
            name.startswith("_csp_") for name in vars(response)
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        prefix = next((p for p in _RELAXED if request.path_info.startswith(p)), None)
        built = _built.get(prefix)
        if built is None:
            built = _built[prefix] = (
                build_policy(**asdict(self.get_policy_parts(request, response))),
                build_policy(
                    **asdict(self.get_policy_parts(request, response, report_only=True)),
                    report_only=True,
                ),
            )
        for header, policy, setting in (
            (HEADER, built[0], "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, built[1], "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            excluded = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if (
                policy
                and header not in response
                and not request.path_info.startswith(tuple(excluded))
            ):
                response[header] = policy
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response


# path prefix in _RELAXED (None: the site's own policy) -> (policy, report-only policy)
_built: dict[str | None, tuple[str, str]] = {}


@receiver(setting_changed)
def _forget_built_policies(setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        _built.clear()
