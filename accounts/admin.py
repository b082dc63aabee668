from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Field, URLField
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from couponali.admin import (
    AuditedModelAdmin,
    InrAmountsMixin,
    LargeTableAdminMixin,
    ReadOnlyAdmin,
    SoftDeleteAdmin,
    inr_column,
    json_fields,
)
from couponali.admin_site import WorkQueue, work_queue_register

from . import authz, selectors, services
from .models import (
    AccessPermission,
    Department,
    Notification,
    Role,
    RolePermission,
    User,
    UserDepartment,
    UserKYC,
    UserRole,
    UserSession,
    VerificationCode,
)
from .roles import ALL


@admin.register(User)
class UserAdmin(InrAmountsMixin, LargeTableAdminMixin, SoftDeleteAdmin, DjangoUserAdmin):
    formfield_overrides = {URLField: {"assume_scheme": "https"}}  # an avatar link typed without a scheme is https
    list_display = (
        "id",
        "email",
        "mobile",
        "full_name",
        inr_column("wallet_balance", "balance"),
        inr_column("pending_cashback", "pending"),
        "is_active",
        "is_staff",
        "created_at",
    )
    list_filter = (
        "role",
        "is_active",
        "is_staff",
        "is_verified",
        "gender",
        ("locked_until", admin.EmptyFieldListFilter),
    )
    # Part of the e-mail, name or mobile (trigram indexes), the referral code or uuid exactly (their indexes).
    search_fields = ("email", "full_name", "mobile", "=referral_code", "=uuid")
    search_help_text = "Part of the e-mail, name or mobile number; a referral code or uuid exactly."
    ordering = ("-id",)
    readonly_fields = (
        "uuid",
        "wallet_balance",
        "pending_cashback",
        "lifetime_earnings",
        "created_at",
        "updated_at",
        "last_login",
        "deleted_at",
        "locked_until",
    )
    raw_id_fields = ("referred_by_user",)
    fieldsets = (
        (None, {"fields": ("uuid", "email", "mobile", "password")}),
        ("Profile", {"fields": ("full_name", "avatar_url", "date_of_birth", "gender")}),
        ("Verification", {"fields": ("email_verified_at", "mobile_verified_at", "is_verified")}),
        ("Wallet (kept by the ledger)", {"fields": ("wallet_balance", "pending_cashback", "lifetime_earnings")}),
        ("Referral", {"fields": ("referral_code", "referred_by_user")}),
        ("Social", {"fields": ("google_id", "facebook_id")}),
        (
            "Access",
            {"fields": ("role", "is_active", "is_staff", "is_superuser", "locked_until", "staff_access")},
        ),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at", "deleted_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "mobile", "password1", "password2")}),)
    filter_horizontal = ()
    actions = [*SoftDeleteAdmin.actions, "unlock_selected"]

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), "staff_access")
        # Only a superuser makes a superuser: everyone else's powers come from roles they may grant.
        return fields if request.user.is_superuser else (*fields, "is_superuser")

    @admin.display(description="roles and departments")
    def staff_access(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        roles = ", ".join(selectors.role_slugs_of(user_id=obj.pk)) or "no role"
        departments = ", ".join(sorted(authz.departments_of(obj))) or "no department"
        return format_html(
            '{} (<a href="{}?user__id__exact={}">roles</a>); {} (<a href="{}?user__id__exact={}">departments</a>)',
            roles,
            reverse("admin:accounts_userrole_changelist"),
            obj.pk,
            departments,
            reverse("admin:accounts_userdepartment_changelist"),
            obj.pk,
        )

    def delete_model(self, request, obj):
        # Closing an account is more than setting deleted_at: personal data goes too (services.user_delete).
        services.user_delete(user_id=obj.pk, actor_id=request.user.pk)

    def delete_queryset(self, request, queryset):
        for pk in queryset.filter(deleted_at__isnull=True).values_list("pk", flat=True):
            services.user_delete(user_id=pk, actor_id=request.user.pk)

    @admin.action(description="Unlock sign-in (clear a lockout after failed passwords)")
    def unlock_selected(self, request, queryset):
        count = sum(
            services.user_unlock(user_id=pk, actor_id=request.user.pk) for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"Unlocked {count} account(s).", messages.SUCCESS)


@admin.register(UserSession)
class UserSessionAdmin(AuditedModelAdmin, admin.ModelAdmin):
    """Sessions are created by sign-ins only; staff can look and revoke, never edit."""

    list_display = (
        "id",
        "user",
        "kind",
        "device",
        "ip_address",
        "created_at",
        "expires_at",
        "revoked_at",
        "revocation_reason",
    )
    list_filter = ("kind", "revocation_reason", ("revoked_at", admin.EmptyFieldListFilter), "expires_at")
    search_fields = ("user__email", "user__mobile", "ip_address", "family_id")
    raw_id_fields = ("user", "rotated_from")
    readonly_fields = [
        *(f.name for f in UserSession._meta.fields if f.name not in ("token", "device_info")),
        "device_info_display",
    ]
    exclude = ("token", "device_info")  # a hash, but nothing anyone needs to see; the device as lines
    device_info_display = json_fields("device_info", "device")
    actions = ["revoke_selected"]

    @admin.display(description="device")
    def device(self, obj):
        info = obj.device_info or {}
        return f"{info.get('browser', '?')} on {info.get('os', '?')} ({info.get('device', '?')})"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    @admin.action(description="Revoke selected sessions (sign those devices out)", permissions=["delete"])
    def revoke_selected(self, request, queryset):
        count = 0
        for row in queryset.filter(revoked_at__isnull=True):
            count += services.session_revoke(user_id=row.user_id, session_id=row.pk, actor_id=request.user.pk)
        self.message_user(request, f"Revoked {count} session(s).", messages.SUCCESS)


class DuplicatePanFilter(admin.SimpleListFilter):
    title = "PAN shared with another account"
    parameter_name = "duplicate_pan"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        shared = selectors.kyc_duplicate_pans().values("pan_hash")
        if self.value() == "yes":
            return queryset.filter(pan_hash__in=shared)
        if self.value() == "no":
            return queryset.exclude(pan_hash__in=shared)
        return queryset


class UserKYCReviewForm(forms.ModelForm):
    """Input checks for a review; the review itself is services.kyc_review (called by save_model)."""

    class Meta:
        model = UserKYC
        fields = ("status", "notes")
        help_texts = {"notes": "Shown to the user. Required when rejecting."}

    def clean(self):
        data = super().clean()
        if {"status", "notes"} & set(self.changed_data):
            if data.get("status") not in (UserKYC.Status.VERIFIED, UserKYC.Status.REJECTED):
                self.add_error("status", "A review ends in verified or rejected.")
            elif data.get("status") == UserKYC.Status.REJECTED and not (data.get("notes") or "").strip():
                self.add_error("notes", "Say why the KYC is rejected: the user sees these notes.")
        return data


@admin.register(UserKYC)
class UserKYCAdmin(AuditedModelAdmin, admin.ModelAdmin):
    """KYC review. PAN, account number and UPI id are always masked here; staff holding the
    'Can reveal an unmasked KYC value' permission can reveal one value at a time, and each reveal is audited.
    Changing the status runs services.kyc_review (audit row + the user is notified) and needs
    accounts.review_userkyc; without it the page is read-only and a forged POST gets 403."""

    form = UserKYCReviewForm
    list_display = (
        "id",
        "user",
        "account_holder_name",
        "pan_masked",
        "account_masked",
        "upi_masked",
        "ifsc_code",
        "status",
        "pan_verified",
        "verified_at",
        "updated_at",
    )
    list_filter = ("status", "pan_verified", DuplicatePanFilter, "state")
    search_fields = ("user__email", "user__mobile", "account_holder_name", "ifsc_code")
    raw_id_fields = ("user",)
    readonly_fields = (
        "user",
        "account_holder_name",
        "pan_field",
        "account_field",
        "ifsc_code",
        "bank_name",
        "upi_field",
        "pan_masked",
        "account_masked",
        "upi_masked",
        "address",
        "pan_verified",
        "verified_at",
        "same_pan",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("user", "account_holder_name")}),
        (
            "Identity and payout (encrypted; shown masked)",
            {"fields": ("pan_field", "same_pan", "account_field", "ifsc_code", "bank_name", "upi_field")},
        ),
        ("Address", {"fields": ("address",)}),
        ("Review", {"fields": ("status", "notes", "pan_verified", "verified_at")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

    def has_add_permission(self, request):
        return False  # users submit their own KYC

    def has_change_permission(self, request, obj=None):
        return authz.actor_may(request.user, "accounts.review_userkyc")

    def has_reveal_permission(self, request):
        return authz.actor_may(request.user, "accounts.reveal_userkyc")

    def get_fieldsets(self, request, obj=None):
        if self.has_reveal_permission(request):
            return self.fieldsets
        # no "Reveal…" links for staff who cannot use them
        masked = {"pan_field": "pan_masked", "account_field": "account_masked", "upi_field": "upi_masked"}
        return tuple(
            (name, {**opts, "fields": tuple(masked.get(f, f) for f in opts["fields"])}) for name, opts in self.fieldsets
        )

    def get_urls(self):
        custom = [
            path(
                "<int:kyc_id>/reveal/<str:field>/",
                self.admin_site.admin_view(self.reveal_view),
                name="accounts_userkyc_reveal",
            ),
        ]
        return custom + super().get_urls()

    def _masked(self, obj, field):
        return selectors.kyc_masked(obj)[field] or "—"

    @admin.display(description="PAN")
    def pan_masked(self, obj):
        return self._masked(obj, "pan_number")

    @admin.display(description="account")
    def account_masked(self, obj):
        return self._masked(obj, "account_number")

    @admin.display(description="UPI")
    def upi_masked(self, obj):
        return self._masked(obj, "upi_id")

    def _with_reveal(self, obj, field):
        value = self._masked(obj, field)
        if not getattr(obj, field):
            return value
        url = reverse("admin:accounts_userkyc_reveal", args=[obj.pk, field])
        return format_html('{} &nbsp;<a href="{}">Reveal…</a>', value, url)

    @admin.display(description="PAN")
    def pan_field(self, obj):
        return self._with_reveal(obj, "pan_number")

    @admin.display(description="bank account number")
    def account_field(self, obj):
        return self._with_reveal(obj, "account_number")

    @admin.display(description="UPI id")
    def upi_field(self, obj):
        return self._with_reveal(obj, "upi_id")

    @admin.display(description="address")
    def address(self, obj):
        parts = [obj.address_line1, obj.address_line2, obj.city, obj.state, obj.pincode]
        return ", ".join(p for p in parts if p) or "—"

    @admin.display(description="same PAN on other accounts")
    def same_pan(self, obj):
        others = list(selectors.kyc_same_pan(obj)[:10])
        if not others:
            return "none"
        links = [
            format_html('<a href="{}">{}</a>', reverse("admin:accounts_userkyc_change", args=[o.pk]), o.user)
            for o in others
        ]
        return format_html_join(", ", "{}", ((link,) for link in links))

    def save_model(self, request, obj, form, change):
        if change and {"status", "notes"} & set(form.changed_data):
            services.kyc_review(kyc_id=obj.pk, actor=request.user, decision=obj.status, notes=obj.notes)

    @staticmethod
    def _field_label(field: str) -> str:
        """The verbose name of one of UserKYC.ENCRYPTED_FIELDS (columns, never relations)."""
        model_field = UserKYC._meta.get_field(field)
        assert isinstance(model_field, Field), field
        return str(model_field.verbose_name)

    def reveal_view(self, request, kyc_id: int, field: str):
        if not self.has_reveal_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            kyc = UserKYC.objects.filter(pk=kyc_id).first()
            if kyc is None or field not in UserKYC.ENCRYPTED_FIELDS:
                raise Http404
            context = {
                **self.admin_site.each_context(request),
                "title": "Reveal a KYC value",
                "kyc": kyc,
                "field": self._field_label(field),
                "masked": self._masked(kyc, field),
                "value": None,
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "admin/accounts/userkyc/reveal.html", context)
        try:
            value = services.kyc_reveal(kyc_id=kyc_id, field=field, actor=request.user)
        except UserKYC.DoesNotExist:
            raise Http404 from None
        except services.AccountsError as exc:
            raise Http404 from exc
        kyc = UserKYC.objects.get(pk=kyc_id)
        context = {
            **self.admin_site.each_context(request),
            "title": "Revealed KYC value",
            "kyc": kyc,
            "field": self._field_label(field),
            "value": value,
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/accounts/userkyc/reveal.html", context)
        response["Cache-Control"] = "no-store"
        return response


class RoleForm(forms.ModelForm):
    """A role's name and its exact permission codes. The choices are the codes the editor holds, and a code
    they do not hold is refused here and again by services.role_save: nobody grants more than they hold."""

    editor: User | None = None  # set per request by RoleAdmin.get_form
    permissions = forms.MultipleChoiceField(
        required=False,
        widget=FilteredSelectMultiple("permissions", is_stacked=False),
        help_text="What holders of this role may do. Only permissions you hold yourself are offered.",
    )

    class Meta:
        model = Role
        fields = ("name", "slug", "description")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = authz.holds_everything(self.editor)
        held = authz.permission_codes(self.editor)
        self.fields["permissions"].choices = [
            (code, code if code == ALL else f"{code}: {label}")
            for code, label in services.permission_choices().items()
            if everything or code in held
        ]
        if self.instance.pk:
            self.initial["permissions"] = sorted(services.role_codes(self.instance))

    def clean_permissions(self):
        wanted = set(self.cleaned_data["permissions"])
        if not authz.holds_all(self.editor, wanted):
            raise forms.ValidationError("You cannot grant permissions you do not hold yourself.")
        return sorted(wanted)


@admin.register(Role)
class RoleAdmin(AuditedModelAdmin, admin.ModelAdmin):
    """Roles and their permissions. Saving and deleting go through services.role_save / role_delete (checked,
    audited). A role carrying permissions the editor does not hold is read-only for them; system roles cannot
    be deleted and keep their slug."""

    form = RoleForm
    list_display = ("name", "slug", "is_system", "holders_count", "created_at")
    list_filter = ("is_system",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("is_system", "holders")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(holders_total=Count("user_roles"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"editor": request.user})

    def get_fields(self, request, obj=None):
        return ("name", "slug", "description", "is_system", "permissions", "holders")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_system:
            return (*self.readonly_fields, "slug")
        return self.readonly_fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.is_system else self.prepopulated_fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, from the role's page (system roles stay)
        return actions

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or authz.holds_all(request.user, services.role_codes(obj)))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return not obj.is_system and authz.holds_all(request.user, services.role_codes(obj))

    @admin.display(description="holders", ordering="holders_total")
    def holders_count(self, obj):
        return obj.holders_total

    @admin.display(description="holders")
    def holders(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        url = reverse("admin:accounts_userrole_changelist") + f"?role__id__exact={obj.pk}"
        emails = list(obj.user_roles.values_list("user__email", flat=True)[:20])
        return format_html('{} <a href="{}">(manage)</a>', ", ".join(e or "?" for e in emails) or "none", url)

    def save_model(self, request, obj, form, change):
        role = services.role_save(
            actor=request.user,
            role_id=obj.pk if change else None,
            name=obj.name,
            slug=obj.slug,
            description=obj.description,
            codes=form.cleaned_data["permissions"],
        )
        obj.pk = role.pk

    def save_related(self, request, form, formsets, change):
        pass  # the permissions were saved by services.role_save

    def delete_model(self, request, obj):
        services.role_delete(role_id=obj.pk, actor=request.user)


@admin.register(AccessPermission)
class AccessPermissionAdmin(ReadOnlyAdmin):
    """The codes roles hold; rows are added by services.role_save when a role first gets a code."""

    list_display = ("code", "description")
    search_fields = ("code", "description")
    list_filter = ("role_permissions__role",)


@admin.register(RolePermission)
class RolePermissionAdmin(AuditedModelAdmin, admin.ModelAdmin):
    """A list only: a role's permissions are edited on the role's page (services.role_save, audited). Delete is
    answered for the cascade of a role's deletion, never offered on its own."""

    list_display = ("role", "permission")
    list_filter = ("role",)
    search_fields = ("role__name", "permission__code")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


class _GrantAdmin(AuditedModelAdmin, admin.ModelAdmin):
    """A user's roles or departments: given (add) and taken back (delete) through the services, never edited."""

    raw_id_fields = ("user",)

    def has_change_permission(self, request, obj=None):
        return False

    def save_related(self, request, form, formsets, change):
        pass  # the service wrote the row

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"clean_user": _clean_staff})


def _clean_staff(form):
    user = form.cleaned_data["user"]
    if not user.is_staff:
        raise forms.ValidationError("Roles and departments are for staff accounts: tick “staff status” first.")
    return user


@admin.register(UserRole)
class UserRoleAdmin(_GrantAdmin):
    list_display = ("user", "role")
    list_filter = ("role",)
    search_fields = ("user__email", "user__mobile", "role__name")
    list_select_related = ("user", "role")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "role":
            # Only roles whose every permission the editor holds (services.role_grant checks again).
            grantable = [r.pk for r in Role.objects.all() if authz.holds_all(request.user, services.role_codes(r))]
            kwargs["queryset"] = Role.objects.filter(pk__in=grantable).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or authz.holds_all(request.user, services.role_codes(obj.role)))

    def save_model(self, request, obj, form, change):
        services.role_grant(user_id=obj.user_id, role_slug=obj.role.slug, actor=request.user)
        obj.pk = UserRole.objects.get(user_id=obj.user_id, role_id=obj.role_id).pk

    def delete_model(self, request, obj):
        services.role_revoke(user_id=obj.user_id, role_slug=obj.role.slug, actor=request.user)


@admin.register(UserDepartment)
class UserDepartmentAdmin(_GrantAdmin):
    list_display = ("user", "department")
    list_filter = ("department",)
    search_fields = ("user__email", "user__mobile", "department__name")
    list_select_related = ("user", "department")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department" and not authz.holds_everything(request.user):
            kwargs["queryset"] = Department.objects.filter(slug__in=authz.departments_of(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return authz.holds_everything(request.user) or obj.department.slug in authz.departments_of(request.user)

    def save_model(self, request, obj, form, change):
        services.department_join(user_id=obj.user_id, department_slug=obj.department.slug, actor=request.user)
        obj.pk = UserDepartment.objects.get(user_id=obj.user_id, department_id=obj.department_id).pk

    def delete_model(self, request, obj):
        services.department_leave(user_id=obj.user_id, department_slug=obj.department.slug, actor=request.user)


@admin.register(VerificationCode)
class VerificationCodeAdmin(AuditedModelAdmin, admin.ModelAdmin):
    """Read-only: codes are hashed and only meaningful to the person they were sent to."""

    list_display = (
        "id",
        "user",
        "purpose",
        "channel",
        "attempts",
        "expires_at",
        "consumed_at",
        "superseded_at",
        "created_at",
    )
    list_filter = ("purpose", "channel", ("consumed_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("user__email", "user__mobile")
    raw_id_fields = ("user",)
    exclude = ("secret_hash", "salt", "target")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("id", "user", "title", "is_read", "emailed_at", "sms_sent_at", "created_at")
    list_filter = ("is_read", "created_at")
    search_fields = ("title", "body", "user__email", "user__mobile")
    raw_id_fields = ("user",)


work_queue_register(WorkQueue(20, "KYC to review", UserKYC, selectors.KYC_TO_REVIEW))
