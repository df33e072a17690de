"""The merchant's team (issue 15, part 5) and the notices' e-mail preferences (part 6).

Roles: a member was OWNER or STAFF with a "deposit management" flag; now the role says it all.
STAFF with the flag becomes FINANCE (top-up and withdrawal: what the flag was named for; the
owner gives the claims role to whoever answers claims), STAFF without it VIEWER. Reversible:
FINANCE goes back to STAFF with the flag, VIEWER and CLAIMS to STAFF without it.
"""


import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


def roles_from_permission(apps, schema_editor):  # type: ignore[no-untyped-def]
    member = apps.get_model("shops", "MerchantUser")
    member.objects.filter(role="STAFF", can_manage_deposit=True).update(role="FINANCE")
    member.objects.filter(role="STAFF").update(role="VIEWER")


def permission_from_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    member = apps.get_model("shops", "MerchantUser")
    member.objects.filter(role="FINANCE").update(role="STAFF", can_manage_deposit=True)
    member.objects.filter(role__in=["VIEWER", "CLAIMS"]).update(role="STAFF")


class Migration(migrations.Migration):

    dependencies = [
        ('shops', '0008_roles_payouts_and_audit'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Invitation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('email', models.EmailField(max_length=254, verbose_name='e-mail')),
                ('role', models.CharField(choices=[('OWNER', 'Owner'), ('VIEWER', 'Viewer'), ('FINANCE', 'Finance'), ('CLAIMS', 'Claims')], max_length=10, verbose_name='role')),
                ('language', models.CharField(choices=[('zh-hans', '简体中文'), ('en', 'English')], max_length=10, verbose_name='language')),
                ('nonce', models.CharField(max_length=32, verbose_name='link nonce')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('expires_at', models.DateTimeField(verbose_name='expires at')),
                ('accepted_at', models.DateTimeField(blank=True, null=True, verbose_name='invitation accepted at')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked at')),
                ('sends', models.PositiveSmallIntegerField(default=0, verbose_name='times sent')),
                ('email_status', models.CharField(choices=[('PENDING', 'To send'), ('SENDING', 'Sending'), ('SENT', 'Sent')], default='PENDING', max_length=10, verbose_name='e-mail')),
                ('email_claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='e-mail claimed at')),
                ('email_sent_at', models.DateTimeField(blank=True, null=True, verbose_name='e-mail sent at')),
                ('email_error', models.CharField(blank=True, max_length=300, verbose_name='last e-mail error')),
            ],
            options={
                'verbose_name': 'team invitation',
                'verbose_name_plural': 'team invitations',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('group', models.CharField(max_length=20, verbose_name='notices')),
                ('email', models.BooleanField(default=True, verbose_name='e-mail me')),
                ('updated_at', models.DateTimeField(verbose_name='updated at')),
            ],
            options={
                'verbose_name': 'notice e-mail preference',
                'verbose_name_plural': 'notice e-mail preferences',
            },
        ),
        migrations.CreateModel(
            name='TeamChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('INVITED', 'Invited'), ('RESENT', 'Invitation re-sent'), ('REVOKED', 'Invitation revoked'), ('JOINED', 'Joined'), ('ROLE_CHANGED', 'Role changed'), ('REMOVED', 'Removed')], max_length=20, verbose_name='action')),
                ('email', models.EmailField(max_length=254, verbose_name='e-mail')),
                ('old_role', models.CharField(blank=True, choices=[('OWNER', 'Owner'), ('VIEWER', 'Viewer'), ('FINANCE', 'Finance'), ('CLAIMS', 'Claims')], max_length=10, verbose_name='old role')),
                ('new_role', models.CharField(blank=True, choices=[('OWNER', 'Owner'), ('VIEWER', 'Viewer'), ('FINANCE', 'Finance'), ('CLAIMS', 'Claims')], max_length=10, verbose_name='new role')),
                ('actor_label', models.CharField(max_length=200, verbose_name='by')),
                ('created_at', models.DateTimeField(verbose_name='when')),
            ],
            options={
                'verbose_name': 'team change',
                'verbose_name_plural': 'team changes',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='merchantuser',
            name='joined_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='joined at'),
        ),
        migrations.AddField(
            model_name='merchantuser',
            name='language',
            field=models.CharField(blank=True, choices=[('zh-hans', '简体中文'), ('en', 'English')], help_text="The member's e-mails are written in it; empty: the merchant's language.", max_length=10, verbose_name='language'),
        ),
        migrations.AlterField(
            model_name='merchantuser',
            name='role',
            field=models.CharField(choices=[('OWNER', 'Owner'), ('VIEWER', 'Viewer'), ('FINANCE', 'Finance'), ('CLAIMS', 'Claims')], default='VIEWER', max_length=10, verbose_name='role'),
        ),
        migrations.RunPython(roles_from_permission, permission_from_roles),
        migrations.RemoveField(
            model_name='merchantuser',
            name='can_manage_deposit',
        ),
        migrations.AddConstraint(
            model_name='merchantuser',
            constraint=models.CheckConstraint(condition=models.Q(('role__in', ['OWNER', 'VIEWER', 'FINANCE', 'CLAIMS'])), name='merchant_user_role_valid'),
        ),
        migrations.AddField(
            model_name='invitation',
            name='accepted_user',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='invitation',
            name='invited_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='invitation',
            name='merchant',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='shops.merchant'),
        ),
        migrations.AddField(
            model_name='notificationpreference',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notice_preferences', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='teamchange',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='teamchange',
            name='merchant',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='team_changes', to='shops.merchant'),
        ),
        migrations.AddConstraint(
            model_name='invitation',
            constraint=models.UniqueConstraint(condition=models.Q(('accepted_at__isnull', True), ('revoked_at__isnull', True)), fields=('merchant', 'email'), name='invitation_open_unique'),
        ),
        migrations.AddConstraint(
            model_name='invitation',
            constraint=models.CheckConstraint(condition=models.Q(('accepted_at__isnull', True), ('revoked_at__isnull', True), _connector='OR'), name='invitation_accepted_or_revoked'),
        ),
        migrations.AddConstraint(
            model_name='notificationpreference',
            constraint=models.UniqueConstraint(fields=('user', 'group'), name='notice_preference_once'),
        ),
        migrations.AddIndex(
            model_name='teamchange',
            index=models.Index(fields=['merchant', '-created_at'], name='team_change_merchant_idx'),
        ),
    ]
