"""The role matrix: every role × every admin screen and every admin action, allowed or refused.

The tables below are the decision; the test enumerates the admin site as it is registered
(`admin.site._registry`, each screen's bulk actions and Unfold detail/row/list actions), so a new
screen or action without a line here fails `test_every_screen_and_action_has_a_decision` until
someone decides which roles get it. Roles are the groups the shops data migration creates
(shops/migrations/0007_staff_roles.py).
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import make_user

ROLES = ("claims_agent", "finance", "risk", "supervisor", "auditor")
ALL = frozenset(ROLES)
OVERSIGHT = frozenset({"supervisor", "auditor"})
NOBODY: frozenset[str] = frozenset()
SUPERVISOR = frozenset({"supervisor"})
CLAIMS = frozenset({"claims_agent", "supervisor"})
FINANCE = frozenset({"finance", "supervisor"})
RISK = frozenset({"risk", "supervisor"})
# Reconciliation: finance works it with the supervisor, the auditor reads it, nobody else sees it.
RECONCILIATION = frozenset({"finance", "supervisor", "auditor"})
# Who may export a list (shops/migrations/0010_export_roles.py): finance and the oversight
# roles export the money lists, the claims agent only claims, the audit trail only its readers.
EXPORT_MONEY = frozenset({"finance", "supervisor", "auditor"})
EXPORT_CLAIMS = EXPORT_MONEY | {"claims_agent"}

# Who opens each screen's list. Business screens are read by every role; who may do what
# (users, groups, log-in records) and the job scheduler by the supervisor and auditor; the
# two-factor devices (they hold secrets) by superusers only.
SCREENS = {
    "approvals.foureyesrequest": ALL,
    "auth.group": OVERSIGHT,
    "auth.user": OVERSIGHT,
    "axes.accessattempt": OVERSIGHT,
    "axes.accessfailurelog": OVERSIGHT,
    "axes.accesslog": OVERSIGHT,
    "audit.auditevent": OVERSIGHT,
    "claims.agentlimit": ALL,
    "claims.claim": ALL,
    "claims.claimdecisionrequest": ALL,
    "claims.claimevent": ALL,
    "claims.claimevidence": ALL,
    "claims.claimfunding": ALL,
    "claims.claimreversal": ALL,
    "claims.compensationrule": ALL,
    "claims.consumerflag": ALL,
    "claims.queuedclaim": ALL,
    "deposits.account": ALL,
    "deposits.adjustmentrequest": ALL,
    "deposits.baserequirementrule": ALL,
    "deposits.categoryrequirementrule": ALL,
    "deposits.dailydepositsnapshot": ALL,
    "deposits.entry": ALL,
    "deposits.entrydayrollup": ALL,
    "deposits.entryrollupmark": ALL,
    "deposits.gmvrequirementschedule": ALL,
    "deposits.guarantee": ALL,
    "deposits.hold": ALL,
    "deposits.ledgercheckrun": ALL,
    "deposits.ledgertransaction": ALL,
    "deposits.payoutaccount": ALL,
    "deposits.requirementchange": ALL,
    "deposits.reconciliationitem": RECONCILIATION,
    "deposits.reconciliationitemevent": RECONCILIATION,
    "deposits.reconciliationrun": RECONCILIATION,
    "deposits.settlementimport": RECONCILIATION,
    "deposits.settlementline": RECONCILIATION,
    "deposits.rulechange": ALL,
    "deposits.shoprequirementoverride": ALL,
    "deposits.shortfallcase": ALL,
    "deposits.shortfallladderstep": ALL,
    "deposits.shortfallreview": ALL,
    "deposits.shortfallstep": ALL,
    "deposits.withdrawal": ALL,
    "django_celery_beat.clockedschedule": OVERSIGHT,
    "django_celery_beat.crontabschedule": OVERSIGHT,
    "django_celery_beat.intervalschedule": OVERSIGHT,
    "django_celery_beat.periodictask": OVERSIGHT,
    "django_celery_beat.solarschedule": OVERSIGHT,
    "django_celery_results.groupresult": OVERSIGHT,
    "django_celery_results.taskresult": OVERSIGHT,
    "insurance.advance": ALL,
    "insurance.benefitwindow": ALL,
    "insurance.insuranceapplication": ALL,
    "insurance.insuranceproduct": ALL,
    "insurance.insurancequote": ALL,
    "insurance.insurerstatement": RECONCILIATION,
    "insurance.policy": ALL,
    "insurance.policydocument": ALL,
    "insurance.policysurrender": ALL,
    "insurance.premiumpayment": ALL,
    "insurance.productchange": ALL,
    "insurance.recovery": ALL,
    "insurance.recoveryrepayment": ALL,
    "insurance.trendtrack": ALL,
    "otp_static.staticdevice": NOBODY,
    "otp_totp.totpdevice": NOBODY,
    "partners.apikey": ALL,
    "partners.delivery": ALL,
    "partners.deliveryattempt": ALL,
    "partners.event": ALL,
    "partners.idempotencyrecord": ALL,
    "partners.partner": ALL,
    "partners.webhookendpoint": ALL,
    "shops.category": ALL,
    "shops.invitation": ALL,
    "shops.notificationpreference": ALL,
    "shops.teamchange": ALL,
    "shops.exportlog": OVERSIGHT,
    "shops.merchant": ALL,
    "shops.merchantuser": ALL,
    "shops.notification": ALL,
    "shops.notificationread": ALL,
    "shops.shop": ALL,
    "shops.shoprestriction": ALL,
    "shops.stafftwofactorreset": ALL,
}

# Who may run each action (bulk actions on the list, Unfold actions on a record's page).
ACTIONS = {
    ("auth.group", "delete_selected"): NOBODY,
    ("auth.user", "delete_selected"): NOBODY,
    ("axes.accessattempt", "cleanup_expired_attempts"): NOBODY,
    ("axes.accessattempt", "delete_selected"): NOBODY,
    ("axes.accessfailurelog", "delete_selected"): NOBODY,
    ("axes.accesslog", "delete_selected"): NOBODY,
    ("approvals.foureyesrequest", "approve"): SUPERVISOR,
    ("approvals.foureyesrequest", "reject"): SUPERVISOR,
    ("claims.agentlimit", "delete_selected"): NOBODY,
    ("claims.claim", "review_done"): CLAIMS,
    ("claims.claim", "add_ops_evidence"): CLAIMS,
    ("claims.claim", "mark_malicious"): RISK,
    ("claims.claim", "export_csv"): EXPORT_CLAIMS,
    ("claims.claim", "export_xlsx"): EXPORT_CLAIMS,
    ("audit.auditevent", "export_csv"): OVERSIGHT,
    ("audit.auditevent", "export_xlsx"): OVERSIGHT,
    ("deposits.entry", "export_csv"): EXPORT_MONEY,
    ("deposits.entry", "export_xlsx"): EXPORT_MONEY,
    ("shops.shop", "export_csv"): EXPORT_MONEY,
    ("shops.shop", "export_xlsx"): EXPORT_MONEY,
    ("claims.claimdecisionrequest", "approve"): SUPERVISOR,
    ("claims.claimdecisionrequest", "reject"): SUPERVISOR,
    ("claims.consumerflag", "lift"): RISK,
    ("deposits.account", "adjust"): FINANCE,
    ("deposits.account", "forfeit"): FINANCE,
    ("deposits.account", "refund_on_exit"): FINANCE,
    ("deposits.account", "recompute_requirement"): FINANCE,
    ("deposits.adjustmentrequest", "approve"): SUPERVISOR,
    ("deposits.adjustmentrequest", "reject"): SUPERVISOR,
    ("deposits.guarantee", "withdraw"): FINANCE,
    ("deposits.hold", "release"): FINANCE,
    ("deposits.ledgertransaction", "reverse"): FINANCE,
    ("deposits.shoprequirementoverride", "delete_selected"): RISK,
    ("deposits.payoutaccount", "delete_selected"): NOBODY,
    ("deposits.reconciliationitem", "assign_to_me"): FINANCE,
    ("deposits.reconciliationitem", "assign"): FINANCE,
    ("deposits.reconciliationitem", "investigate"): FINANCE,
    ("deposits.reconciliationitem", "resolve"): FINANCE,
    ("deposits.reconciliationitem", "write_off"): FINANCE,
    ("deposits.settlementimport", "upload"): FINANCE,
    ("deposits.withdrawal", "mark_sent"): FINANCE,
    ("deposits.withdrawal", "mark_paid"): FINANCE,
    ("deposits.withdrawal", "mark_failed"): FINANCE,
    ("deposits.shortfallcase", "evaluate_now"): FINANCE,
    ("deposits.shortfallcase", "resolve_by_hand"): FINANCE,
    ("deposits.shortfallreview", "keep_enforcing"): FINANCE,
    ("deposits.shortfallreview", "start_closure"): FINANCE,
    ("django_celery_beat.clockedschedule", "delete_selected"): NOBODY,
    ("django_celery_beat.crontabschedule", "delete_selected"): NOBODY,
    ("django_celery_beat.intervalschedule", "delete_selected"): NOBODY,
    ("django_celery_beat.periodictask", "delete_selected"): NOBODY,
    ("django_celery_beat.periodictask", "enable_tasks"): SUPERVISOR,
    ("django_celery_beat.periodictask", "disable_tasks"): SUPERVISOR,
    ("django_celery_beat.periodictask", "toggle_tasks"): SUPERVISOR,
    ("django_celery_beat.periodictask", "run_tasks"): SUPERVISOR,
    ("django_celery_beat.solarschedule", "delete_selected"): NOBODY,
    ("django_celery_results.groupresult", "delete_selected"): NOBODY,
    ("django_celery_results.taskresult", "delete_selected"): NOBODY,
    ("insurance.benefitwindow", "delete_selected"): NOBODY,
    ("insurance.insuranceapplication", "close"): FINANCE,
    ("insurance.insurerstatement", "upload"): FINANCE,
    ("insurance.policy", "surrender"): FINANCE,
    ("insurance.trendtrack", "delete_selected"): NOBODY,
    ("otp_static.staticdevice", "delete_selected"): NOBODY,
    ("otp_totp.totpdevice", "delete_selected"): NOBODY,
    ("partners.apikey", "revoke"): SUPERVISOR,
    ("partners.apikey", "rotate"): SUPERVISOR,
    ("partners.delivery", "redeliver"): SUPERVISOR,
    ("partners.event", "redeliver"): SUPERVISOR,
    ("partners.partner", "delete_selected"): NOBODY,
    ("partners.webhookendpoint", "delete_selected"): NOBODY,
    ("partners.webhookendpoint", "enable"): SUPERVISOR,
    ("partners.webhookendpoint", "disable"): SUPERVISOR,
    ("shops.category", "delete_selected"): NOBODY,
    ("shops.merchantuser", "delete_selected"): NOBODY,
    ("shops.shop", "freeze"): RISK,
    ("shops.shop", "unfreeze"): RISK,
    ("shops.shop", "confirm_exit"): RISK,
}

# The admin home, the ops overview (config/overview.py): every role opens it and sees the sections
# whose lists it may open. Every role reads the business lists, so each sees every section; the
# auditor included (reads everything). "Waiting for me" counts only what the user may approve.
OVERVIEW_SECTIONS = {
    role: {"waiting", "money", "shops", "shortfalls", "claims", "insurers", "outbox", "history"}
    for role in ROLES
}
MAY_APPROVE_CLAIM_DECISIONS = SUPERVISOR
MAY_APPROVE_ADJUSTMENTS = FINANCE

UNFOLD_ACTION_LISTS = ("actions_detail", "actions_row", "actions_list", "actions_submit_line")


def _label(model) -> str:  # type: ignore[no-untyped-def]
    return model._meta.label_lower


def _unfold_actions(model_admin, request) -> set[str]:  # type: ignore[no-untyped-def]
    """Unfold's per-record and list-button actions this user is offered."""
    if not hasattr(model_admin, "get_actions_detail"):
        return set()
    offered = [
        *model_admin.get_actions_detail(request, 1),
        *model_admin.get_actions_row(request),
        *model_admin.get_actions_list(request),
        *model_admin.get_actions_submit_line(request, 1),
    ]
    prefix = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_"
    return {action.action_name.removeprefix(prefix) for action in offered}


def _all_unfold_actions(model_admin) -> set[str]:  # type: ignore[no-untyped-def]
    names: set[str] = set()
    if not hasattr(model_admin, "_extract_action_names"):
        return names  # not an Unfold screen (axes, django-otp): bulk actions only
    for attribute in UNFOLD_ACTION_LISTS:
        names |= set(model_admin._extract_action_names(getattr(model_admin, attribute, None) or []))
    return names


def _role_user(role: str):  # type: ignore[no-untyped-def]
    user = make_user(f"{role}-matrix")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.mark.django_db
def test_the_five_roles_exist_as_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


@pytest.mark.django_db
def test_every_screen_and_action_has_a_decision(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user  # a superuser is offered every action there is
    screens = {_label(model) for model in admin.site._registry}
    actions = set()
    for model, model_admin in admin.site._registry.items():
        actions |= {(_label(model), name) for name in model_admin.get_actions(request)}
        actions |= {(_label(model), name) for name in _all_unfold_actions(model_admin)}

    assert screens - SCREENS.keys() == set(), "new screens: add them to SCREENS with the roles"
    assert actions - ACTIONS.keys() == set(), "new actions: add them to ACTIONS with the roles"
    assert SCREENS.keys() - screens == set(), "SCREENS lists screens that no longer exist"
    assert ACTIONS.keys() - actions == set(), "ACTIONS lists actions that no longer exist"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_only_its_screens_and_is_offered_only_its_actions(role, client):
    user = _role_user(role)
    client.force_login(user)
    request = RequestFactory().get("/admin/")
    request.user = user
    wrong: list[str] = []

    for model, model_admin in admin.site._registry.items():
        label = _label(model)
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        may_open = role in SCREENS[label]
        if response.status_code != (200 if may_open else 403):
            wrong.append(f"{label}: list answered {response.status_code}")
            continue
        offered: set[str] = set()
        if may_open and response.context.get("action_form") is not None:
            choices = response.context["action_form"].fields["action"].choices
            offered = {name for name, _ in choices if name}
        offered |= _unfold_actions(model_admin, request) if may_open else set()
        expected = {
            name for (screen, name), roles in ACTIONS.items() if screen == label and role in roles
        }
        if offered != expected:
            wrong.append(f"{label}: offered {sorted(offered)}, decided {sorted(expected)}")

    assert wrong == []


@pytest.mark.django_db
def test_an_auditor_posting_an_action_by_hand_changes_nothing(client, now):
    from shops.models import ShopStatus
    from tests.factories import make_shop

    shop, _ = make_shop(now=now)
    client.force_login(_role_user("auditor"))

    client.post(
        reverse("admin:shops_shop_changelist"),
        {"action": "freeze", "_selected_action": [shop.pk], "reason": "audit poking"},
    )

    shop.refresh_from_db()
    assert shop.status != ShopStatus.FROZEN


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"), [("auditor", 403), ("claims_agent", 403), ("finance", 200)]
)
def test_only_finance_and_the_supervisor_open_the_settlement_upload(role, status, client):
    client.force_login(_role_user(role))

    assert client.get(reverse("admin:deposits_settlementimport_upload")).status_code == status
    assert client.get(reverse("admin:insurance_insurerstatement_upload")).status_code == status


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_the_overview_with_its_sections(role, client):
    from config.overview import may_see

    user = _role_user(role)
    client.force_login(user)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    html = response.content.decode()
    shown = {name for name in OVERVIEW_SECTIONS[role] if f'id="ov-{name}"' in html}
    assert shown == may_see(user) == OVERVIEW_SECTIONS[role]
    assert user.has_perm("claims.approve_claim_decision") == (role in MAY_APPROVE_CLAIM_DECISIONS)
    assert user.has_perm("deposits.change_adjustmentrequest") == (role in MAY_APPROVE_ADJUSTMENTS)
