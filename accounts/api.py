"""API sign-in for the mobile app and partners: /api/v1/auth/ (token, refresh, revoke, me, sessions)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from couponali.api_schema import ErrorSerializer
from couponali.ratelimit import client_ip_address

from . import forms, selectors, services
from .models import User


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="E-mail address or 10-digit Indian mobile number.", max_length=255)
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, max_length=128)


class RefreshRequestSerializer(serializers.Serializer):
    refresh = serializers.CharField(help_text="The refresh token from the last token or refresh answer.")


class TokenPairSerializer(serializers.Serializer):
    token_type = serializers.CharField(default="Bearer")
    access = serializers.CharField(help_text="JWT for 'Authorization: Bearer ...'; short-lived.")
    access_expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    refresh = serializers.CharField(
        help_text="Opaque refresh token. Single use: each refresh returns a new one; presenting a used one "
        "again signs out the whole session."
    )
    refresh_expires_at = serializers.DateTimeField()


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    email = serializers.EmailField(allow_null=True)
    mobile = serializers.CharField(allow_null=True)
    full_name = serializers.CharField(allow_null=True)
    email_verified = serializers.BooleanField()
    mobile_verified = serializers.BooleanField()
    referral_code = serializers.CharField()
    kyc_status = serializers.CharField(allow_null=True)


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    device = serializers.DictField(source="device_info")
    ip_address = serializers.CharField(allow_null=True)
    signed_in_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    current = serializers.BooleanField()


# Every failure has the API's one error body (couponali.api_errors; the schema's Error component).
ERROR = ErrorSerializer
THROTTLED = ErrorSerializer


def _pair(pair: services.TokenPair) -> dict:
    return {
        "token_type": "Bearer",
        "access": pair.access,
        "access_expires_in": max(0, int((pair.access_expires_at - timezone.now()).total_seconds())),
        "refresh": pair.refresh,
        "refresh_expires_at": pair.refresh_expires_at,
    }


class TokenView(APIView):
    """Sign in with e-mail or mobile and password; get an access token and a refresh token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={
            200: TokenPairSerializer,
            400: ERROR,
            401: OpenApiResponse(ERROR, description="Wrong credentials, or the account is locked for a while."),
            403: OpenApiResponse(ERROR, description="The account's e-mail/mobile is not verified yet."),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request):
        # Refusals (rate limit, wrong password, lock, unverified) are answered by couponali.api_errors.
        services.limit_request(request, scope="token")
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.signin_attempt(
            identifier=data.validated_data["username"], password=data.validated_data["password"]
        )
        if not user.may_sign_in:
            raise services.VerificationRequired()
        pair = services.token_issue(
            user_id=user.pk, user_agent=request.headers.get("User-Agent"), ip=client_ip_address(request)
        )
        return Response(_pair(pair))


class TokenRefreshView(APIView):
    """Exchange a refresh token for a new access token and a new refresh token (rotation)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["auth"],
        request=RefreshRequestSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(
                ERROR,
                description="Invalid, expired or revoked. A refresh token used twice revokes its whole session.",
            ),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request):
        services.limit_request(request, scope="token-refresh")
        data = RefreshRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.token_refresh(
            refresh_token=data.validated_data["refresh"],
            user_agent=request.headers.get("User-Agent"),
            ip=client_ip_address(request),
        )
        return Response(_pair(pair))


class TokenRevokeView(APIView):
    """Sign out: the refresh token's session ends, and its access tokens stop working at once."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(tags=["auth"], request=RefreshRequestSerializer, responses={204: None}, auth=[])
    def post(self, request):
        data = RefreshRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.token_revoke(refresh_token=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileUpdateSerializer(serializers.Serializer):
    """What PATCH /auth/me/ may change (the profile page's fields; validated by the same form)."""

    full_name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    avatar_url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    gender = serializers.ChoiceField(choices=[("", "Prefer not to say"), *User.Gender.choices], required=False)


class MeView(APIView):
    """The signed-in user; PATCH changes the profile (name, avatar, date of birth, gender) like /accounts/profile/."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["auth"], responses={200: UserSerializer, 401: ERROR})
    def get(self, request):
        return Response(self._me(request.user))

    @extend_schema(tags=["auth"], request=ProfileUpdateSerializer, responses={200: UserSerializer})
    def patch(self, request):
        given = ProfileUpdateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        user = request.user
        current = {
            "full_name": user.full_name or "",
            "avatar_url": user.avatar_url or "",
            "date_of_birth": user.date_of_birth,
            "gender": user.gender or "",
        }
        # The profile page's form is the one home of these rules (the date of birth's age limits, the URL).
        form = forms.ProfileForm({**current, **given.validated_data})
        if not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        updated = services.user_profile_update(user_id=user.pk, **form.cleaned_data)
        return Response(self._me(updated))

    def _me(self, user) -> dict:
        kyc = selectors.kyc_for_user(user_id=user.pk)
        return dict(
            UserSerializer(
                {
                    "id": user.pk,
                    "uuid": user.uuid,
                    "email": user.email,
                    "mobile": user.mobile,
                    "full_name": user.full_name,
                    "email_verified": user.email_verified_at is not None,
                    "mobile_verified": user.mobile_verified_at is not None,
                    "referral_code": user.referral_code,
                    "kyc_status": kyc.status if kyc else None,
                }
            ).data
        )


class SessionListView(APIView):
    """The user's active sessions (browsers and apps)."""

    permission_classes = [IsAuthenticated]
    pagination_class = None

    @extend_schema(tags=["auth"], responses={200: SessionSerializer(many=True), 401: ERROR})
    def get(self, request):
        current = getattr(request, "session_family_id", None)
        rows = list(selectors.sessions_active(user_id=request.user.pk))
        for row in rows:
            row.current = row.family_id == current
        return Response(SessionSerializer(rows, many=True).data)


class SessionRevokeView(APIView):
    """Sign out one session (for example a lost phone)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["auth"], request=None, responses={204: None, 401: ERROR, 404: ERROR})
    def post(self, request, session_id: int):
        if selectors.session_for_user(user_id=request.user.pk, session_id=session_id) is None:
            raise NotFound("No such session.")
        services.session_revoke(user_id=request.user.pk, session_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- KYC and notifications


class KycSerializer(serializers.Serializer):
    status = serializers.CharField(allow_null=True, help_text="pending, verified, rejected; null: not submitted")
    account_holder_name = serializers.CharField(allow_null=True)
    bank_name = serializers.CharField(allow_null=True)
    ifsc_code = serializers.CharField(allow_null=True)
    account_number = serializers.CharField(allow_blank=True, help_text="Masked: only the last digits show.")
    upi_id = serializers.CharField(allow_blank=True, help_text="Masked.")
    pan_number = serializers.CharField(allow_blank=True, help_text="Masked.")
    verified_at = serializers.DateTimeField(allow_null=True)


class KycView(APIView):
    """The signed-in user's KYC, masked as every page shows it (submitting it is on the website)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["account"], responses=KycSerializer)
    def get(self, request):
        kyc = selectors.kyc_for_user(user_id=request.user.pk)
        masked = selectors.kyc_masked(kyc)
        return Response(
            KycSerializer(
                {
                    "status": kyc.status if kyc else None,
                    "account_holder_name": kyc.account_holder_name if kyc else None,
                    "bank_name": kyc.bank_name if kyc else None,
                    "ifsc_code": kyc.ifsc_code if kyc else None,
                    "verified_at": kyc.verified_at if kyc else None,
                    **masked,
                }
            ).data
        )


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField(allow_null=True)
    is_read = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class NotificationListView(generics.ListAPIView):
    """The user's notifications, newest first (the bell's list)."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    filterset_fields = {"is_read": ["exact"]}
    ordering = ("-created_at", "-id")

    def get_queryset(self):
        return selectors.notifications_for_user(user_id=self.request.user.pk)

    @extend_schema(tags=["account"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationReadView(APIView):
    """Mark one notification read (404 unless it is the user's)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["account"], request=None, responses={204: None})
    def post(self, request, notification_id: int):
        if not selectors.notifications_for_user(user_id=request.user.pk).filter(pk=notification_id).exists():
            raise NotFound("No such notification.")
        services.notification_mark_read(user_id=request.user.pk, notification_id=notification_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationReadAllView(APIView):
    """Mark every notification of the user read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["account"],
        request=None,
        responses=inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()}),
    )
    def post(self, request):
        return Response({"marked": services.notification_mark_all_read(user_id=request.user.pk)})
