"""PDF rendering with the Chinese font every document shares (WeasyPrint).

The font is Noto Sans SC from the `pylopdf-fonts-zh-cn` wheel, loaded with @font-face from its
installed path under a family name of our own, so fontconfig never substitutes another font and
a fresh machine without CJK fonts still draws Chinese (insurance/documents.py explains why; the
e-policy uses the same file).
"""

from __future__ import annotations

import pylopdf_fonts_zh_cn
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

FONT_FAMILY = "DepositDesk CJK Sans"


def cjk_font_css() -> str:
    font_url = pylopdf_fonts_zh_cn.sans_path().resolve().as_uri()
    return f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{font_url}"); }}'


def html_to_pdf(html: str, *, identifier: str) -> bytes:
    """`html` (its styles inline: a PDF is not served under the site's CSP) as PDF bytes, with
    the CJK font; `identifier` (ASCII) becomes the PDF's file identifier."""
    font_config = FontConfiguration()
    return HTML(string=html).write_pdf(
        stylesheets=[CSS(string=cjk_font_css(), font_config=font_config)],
        font_config=font_config,
        pdf_identifier=identifier.encode("ascii"),
    )
