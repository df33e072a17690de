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

from csp.constants import UNSAFE_EVAL, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
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
