"""The team and the notices' e-mail preferences (shops' own dashboard pages). The notices list
keeps its old name, `dashboard:notices` (deposits/urls.py, served by shops.views_notices); the
merchant home is config's (its columns span apps)."""

from django.urls import include, path

from shops import views_notices, views_team

team_patterns = [
    path("", views_team.team_page, name="page"),
    path("invite/", views_team.team_invite, name="invite"),
    path(
        "invitations/<uuid:invitation_id>/resend/",
        views_team.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "invitations/<uuid:invitation_id>/revoke/",
        views_team.invitation_revoke,
        name="invitation_revoke",
    ),
    path("members/<int:member_id>/role/", views_team.member_role, name="member_role"),
    path("members/<int:member_id>/remove/", views_team.member_remove, name="member_remove"),
    path("join/<str:token>/", views_team.join, name="join"),
]

notice_patterns = [
    path("preferences/", views_notices.notice_preferences, name="preferences"),
]

urlpatterns = [
    path("team/", include((team_patterns, "team"), namespace="team")),
    path("notices/", include((notice_patterns, "notices"), namespace="notices")),
]
