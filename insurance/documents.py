"""The e-policy: a bilingual PDF issued once per policy and kept unchanged (domain.md §5.1).

Plain values in, bytes out. The caller (the policy service) builds a `PolicyDocument` from the
policy, its product and its shop, calls `render_policy_pdf` once when the policy is issued, and
stores the bytes together with `policy_pdf_sha256(bytes)`; a download serves the stored bytes and
never renders again, so a later change to this template or to a library cannot alter an issued
policy.

Rendering is deterministic: the same `PolicyDocument` gives the same bytes with the same
WeasyPrint and font versions (tests/insurance/test_documents.py checks it). Nothing in the PDF
comes from the clock: its creation and modification dates are `issued_at`, and its file
identifier is derived from the policy number.

The Chinese font comes from a PyPI package, not from the operating system. Why: `make run` and
`make test` only create the virtualenv and pip install, so a developer's fresh machine has no
CJK font unless someone apt-installs `fonts-noto-cjk` by hand, and Pango would then silently draw
empty boxes (tofu) for every Chinese character. `pylopdf-fonts-zh-cn` ships Noto Sans SC (SIL Open
Font License 1.1, which allows embedding in any document) as a plain file inside the wheel; it is
loaded with `@font-face` from its installed path, resolved at render time, and WeasyPrint embeds
the subset of glyphs the policy uses. Using the shipped file first, rather than whatever
fontconfig finds, also makes every machine produce the same glyphs, hence the same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pylopdf_fonts_zh_cn
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from common.money import CURRENCY_EXPONENTS, Money, format_minor

TEMPLATE = "insurance/policy.html"
# Dates are the ones the merchant lives by (api-v1.md: the term's dates are Asia/Shanghai dates).
POLICY_TZ = ZoneInfo("Asia/Shanghai")
# The family name the template asks for. A name of our own, so fontconfig can never substitute
# a different installed font for it.
FONT_FAMILY = "DepositDesk CJK Sans"


@dataclass(frozen=True, slots=True)
class PolicyTerm:
    """One of the policy's main terms, in both languages."""

    title_zh: str
    title_en: str
    text_zh: str
    text_en: str


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """Everything the e-policy prints, as plain values (no models)."""

    policy_number: str
    insurer_name: str
    insured_name: str  # the merchant
    shop_name: str
    shop_external_ref: str
    product_name_zh: str
    product_name_en: str
    coverage_minor: int
    premium_minor: int
    currency: str
    starts_on: date
    ends_on: date  # inclusive: the last insured day
    issued_at: datetime  # timezone-aware
    recovery_days: int
    premium_computation_zh: str
    premium_computation_en: str
    # Empty: the standard terms of domain.md §5/§5.1 for `recovery_days` (`standard_terms`).
    terms: tuple[PolicyTerm, ...] = ()

    def __post_init__(self) -> None:
        for name in ("coverage_minor", "premium_minor"):
            # Money refuses floats, bools and unknown currencies.
            if Money(getattr(self, name), self.currency).amount_minor < 0:
                raise ValueError(f"{name} must not be negative")
        if not self.policy_number.strip():
            raise ValueError("policy_number is required")
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be timezone-aware")
        if self.recovery_days <= 0:
            raise ValueError("recovery_days must be positive")

    @property
    def term_days(self) -> int:
        """Insured days, both ends included (365 for 2026-03-01 … 2027-02-28)."""
        return (self.ends_on - self.starts_on).days + 1

    @property
    def issued_local(self) -> datetime:
        return self.issued_at.astimezone(POLICY_TZ)


def standard_terms(recovery_days: int) -> tuple[PolicyTerm, ...]:
    """The main terms of 保证金履约险 as the product decides them (domain.md §5 and §5.1)."""
    n = recovery_days
    return (
        PolicyTerm(
            "保险责任（先行垫付）",
            "Cover: the insurer advances",
            "保险期间内，被保险人店铺的消费者赔付经裁定成立的，由保险人在本保单剩余额度"
            "（保险金额减去未偿还的追偿款）内先行垫付给消费者。",
            "During the term, when a consumer claim against the insured shop is upheld, the "
            "insurer advances the payout to the consumer, up to this policy's remaining limit "
            "(coverage less outstanding recoveries).",
        ),
        PolicyTerm(
            "追偿",
            "Recovery",
            f"保险人垫付后向被保险人追偿。被保险人应自垫付之日起 {n} 日内全额偿还；"
            "垫付时、到期前 3 日及前 1 日通过站内信、短信或电子邮件提醒。",
            f"The insurer recovers every advance from the insured, who must repay it in full "
            f"within {n} days of the advance. Reminders go out by in-app message, SMS or e-mail "
            f"at the advance and 3 days and 1 day before the due date.",
        ),
        PolicyTerm(
            "逾期监管",
            "Overdue: supervision",
            "追偿款逾期未还的，店铺进入监管状态，直至全额还款、保险额度恢复后立即解除；"
            "保险人亦可依法追讨。",
            "Past the due date the shop is supervised until the recovery is repaid in full; "
            "repayment restores the limit and lifts the supervision at once. The insurer may "
            "also take legal action.",
        ),
        PolicyTerm(
            "替代现金保证金",
            "In place of the cash deposit",
            "保单有效期间，保险金额计为店铺保证金的担保，所保部分无需冻结现金。",
            "While the policy is active its coverage counts as a guarantee on the shop's "
            "deposit: no cash needs to be frozen for the covered part.",
        ),
        PolicyTerm(
            "退保",
            "Surrender",
            "所有追偿款均已还清且现金保证金足额时，被保险人可随时退保。未使用天数的保费按日退还；"
            "自起保日至退保日（首尾两日均含）的保费照收，投保当日亦计收。",
            "The insured may surrender at any time once every recovery is repaid and the cash "
            "deposit alone meets the requirement. The premium for unused days is refunded by "
            "day; the days from the start through the surrender day, both included, are "
            "charged, so the day of purchase is always charged.",
        ),
        PolicyTerm(
            "期满与续保",
            "Expiry and renewal",
            "保险期间届满或保单失效而未续保的，所保部分恢复为现金保证金要求，"
            "不足部分按保证金不足处理并事先通知。届满前 30 日、7 日及 1 日发送续保提醒。",
            "When the term ends or the policy lapses without renewal, the covered part becomes "
            "a cash deposit requirement again; any shortfall is handled as a deposit shortfall, "
            "with notice before it happens. Renewal reminders go out 30, 7 and 1 days before "
            "the end.",
        ),
    )


def premium_computation_text(
    *,
    coverage_minor: int,
    rate_bps: int,
    term_days: int,
    premium_minor: int,
    currency: str,
) -> tuple[str, str]:
    """The premium sentence in both languages, e.g. for the quote's numbers:
    "保费 = 保险金额 50,000.00 × 年费率 3.00% × 365 天 ÷ 365（ACT/365），四舍五入至分 = 1,500.00".
    It only states the computation; the premium itself is the service's (it is not recomputed
    here, so the document prints exactly what was charged)."""
    rate = (Decimal(rate_bps) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    coverage = f"{currency} {format_minor(coverage_minor, currency)}"
    premium = f"{currency} {format_minor(premium_minor, currency)}"
    unit_zh, unit_en = ("分", "fen") if CURRENCY_EXPONENTS[currency] == 2 else ("元", "unit")
    zh = (
        f"保费 = 保险金额 {coverage} × 年费率 {rate}% × 保险天数 {term_days} ÷ 365"
        f"（ACT/365，按实际天数计），四舍五入至{unit_zh} = {premium}"
    )
    en = (
        f"Premium = coverage {coverage} × {rate}% a year × {term_days} insured days ÷ 365 "
        f"(ACT/365, actual days), rounded half up to the {unit_en} = {premium}"
    )
    return zh, en


def _font_css() -> str:
    # Resolved at render time from the installed package: the wheel's files live wherever pip put
    # the virtualenv. file:// URLs are fetched by WeasyPrint's default fetcher without network.
    font_url = pylopdf_fonts_zh_cn.sans_path().resolve().as_uri()
    return f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{font_url}"); }}'


def _pdf_date(value: datetime) -> str:
    # W3C date with offset, the form WeasyPrint reads from <meta name="dcterms.created">.
    return value.astimezone(POLICY_TZ).isoformat(timespec="seconds")


def render_policy_pdf(doc: PolicyDocument) -> bytes:
    """The e-policy as PDF bytes: A4, Chinese first with the English beside or below it."""
    context = {
        "doc": doc,
        "terms": doc.terms or standard_terms(doc.recovery_days),
        "font_family": FONT_FAMILY,
        "pdf_created": _pdf_date(doc.issued_at),
        "issued_local": doc.issued_local,
    }
    html = render_to_string(TEMPLATE, context)
    font_config = FontConfiguration()
    # A fixed identifier instead of none or a random one: the same policy, the same bytes.
    identifier = hashlib.sha256(f"policy:{doc.policy_number}".encode()).hexdigest()[:32]
    return HTML(string=html).write_pdf(
        stylesheets=[CSS(string=_font_css(), font_config=font_config)],
        font_config=font_config,
        pdf_identifier=identifier.encode("ascii"),
    )


def policy_pdf_sha256(data: bytes) -> str:
    """Hex SHA-256 of the stored PDF bytes, kept beside them to prove they never changed."""
    return hashlib.sha256(data).hexdigest()
